package sandbox

import (
	"time"
)

// state is everything the emulated gateway knows.
type state struct {
	profiles      map[string]*profile
	profileOrder  []string
	sensors       map[string]*Sensor
	sensorOrder   []string
	registries    map[string]*registry
	registryOrder []string
	activation    Activation
	connectors    connectorState  // connectors.go
	reports       reportState     // reports.go
	tags          tagState        // tags.go
	policies      policyState     // policies.go
	schedules     reportSchedules // reportschedules.go
	scans         scanTiming      // schedules.go: how on-demand scans move on
}

// registry is a stored registry.
type registry struct {
	UUID, Name, URI, Type string
	TotalImages           int
	LastScanned           Millis
	SensorProfile         string
	registryDetail        // registries.go: credentials, repositories, schedules
}

func (r *registry) summary() RegistrySummary {
	return RegistrySummary{RegistryUUID: r.UUID, RegistryName: r.Name, RegistryURI: r.URI,
		RegistryType: r.Type, TotalImages: r.TotalImages, LastScanned: r.LastScanned}
}

func (s *Server) routes() {
	s.sensorRoutes()
	s.registryRoutes()
	s.connectorRoutes()
	s.scheduleRoutes()
	s.inventoryRoutes()
	s.reportRoutes()
	s.policyRoutes()
	s.reportScheduleRoutes()
}

func strp(s string) *string { return &s }

// The seeds' sample IDs.
const (
	NorthProfileID   = "8aee8879-d536-4efd-b23d-41dcb77a4a32"
	GeneralProfileID = "6963d471-7598-4d4d-b95c-e540c75745b2"
	AzureRegistryID  = "fd05c5d5-7583-4e47-b538-c8b414bd9c86"
	// The profiles the v1.17 samples update (789214bc) and read and delete
	// (d96b936c): Registry profiles with nothing in them yet.
	UpdatedSampleProfileID = "789214bc-d21b-4a26-94a2-2f48ddd4df52"
	SampleProfileID        = "d96b936c-4d7c-449a-bc32-cfdc31c87a9c"
	DockerRegistryID       = "e6d33990-41dc-46a0-8274-8eb6e65e25a2"
	// The registry and schedule the 2026 guide's bulk deletion sample names.
	BulkRegistryID = "0a1d9b9a-3bab-42ec-a894-4d5969a47616"
	BulkScheduleID = "f677b189-8b54-46ba-9d24-624b7e98767d"
)

func seed(now time.Time) *state {
	st := &state{profiles: map[string]*profile{}, sensors: map[string]*Sensor{}, registries: map[string]*registry{}}
	ms := func(v int64) Millis { return Millis{Ms: v, Valid: true} }
	addProfile := func(p *profile) {
		st.profiles[p.ID] = p
		st.profileOrder = append(st.profileOrder, p.ID)
	}
	addProfile(&profile{ID: DefaultProfileID, Name: "Default", Description: "Initial Profile", CreatedBy: "System", Created: ms(1657601138783), Updated: ms(1657601138783)})
	addProfile(&profile{ID: NorthProfileID, Name: "North", Type: strp("Registry"), CreatedBy: "quays_kg86", UpdatedBy: strp("quays_kg86"), Created: ms(1657793883813), Updated: ms(1657866985321)})
	addProfile(&profile{ID: UpdatedSampleProfileID, Name: "ecprofile-draft", Type: strp("Registry"), CreatedBy: "quays_kg86", Created: ms(1657793900000), Updated: ms(1657793900000)})
	addProfile(&profile{ID: SampleProfileID, Name: "sample-v1.17", Type: strp("Registry"), CreatedBy: "quays_kg86", Created: ms(1657793950000), Updated: ms(1657793950000)})
	t, f := true, false
	interval, files, size := 48, 5, 10
	addProfile(&profile{ID: GeneralProfileID, Name: "General-test2", Type: strp("General"), CreatedBy: "test_zp53", Created: ms(1669108423070), Updated: ms(1669618992177),
		Config: &ProfileConfig{
			WeeklyInactiveWindowSchedules: []InactiveWindow{{RepeatOnDays: []string{"SUNDAY"}, AllDayToggle: &f, StartTime: "01:15", EndTime: "03:00"}},
			VulnerabilityManagement:       &VulnerabilityManagement{GlobalScanningFlag: &t, ScanningPolicy: "DynamicWithStaticScanningAsFallback", ContainerScanningInterval: &interval, ImageExclusionRegexList: []string{}},
			PerformanceManagement:         &PerformanceManagement{MaxNoOfArchivedLogFiles: &files, MaxLogFileSize: &size, LogSecurityLevel: "INFORMATION"},
		}})

	addRegistry := func(r *registry) {
		if r.SensorProfile == "" {
			r.SensorProfile = DefaultProfileID
		}
		st.registries[r.UUID] = r
		st.registryOrder = append(st.registryOrder, r.UUID)
	}
	addRegistry(&registry{UUID: DockerRegistryID, Name: "reg1", URI: "https://registry-1.docker.io", Type: "DockerHub", TotalImages: 10, LastScanned: ms(1657868777405), SensorProfile: NorthProfileID})
	addRegistry(&registry{UUID: AzureRegistryID, Name: "azuretest", URI: "https://azuretest.azurecr.io", Type: "Azure", TotalImages: 4, LastScanned: ms(1669286916116)})
	for i, id := range []string{"6e92f810-1182-4ffd-8c14-3191f84ed333", "3f3539a8-7994-45f6-81e2-12581be2c9a1", "d67dac61-7be2-40a2-8145-346c9e322181", "f78162f6-54c9-4b29-a04e-3518a1d6e211"} {
		addRegistry(&registry{UUID: id, Name: []string{"ecr-prod", "gcr-build", "quay-mirror", "harbor-internal"}[i],
			URI:  []string{"https://123456789012.dkr.ecr.us-east-1.amazonaws.com", "https://gcr.io", "https://quay.io", "https://harbor.internal.example"}[i],
			Type: []string{"AWS", "Google", "V2", "V2-Private"}[i], TotalImages: 3 + i, LastScanned: ms(1669000000000 + int64(i)*1000)})
	}
	addRegistry(&registry{UUID: "1ec46398-23be-40fc-8cde-8b4bd916d5fa", Name: "ec-reg-a", URI: "https://ec-a.example", Type: "V2", TotalImages: 1})
	addRegistry(&registry{UUID: "fe88284c-5fb3-4bc7-b2a0-33208e8d7d41", Name: "ec-reg-b", URI: "https://ec-b.example", Type: "V2", TotalImages: 2})
	// the registry of the 2026 guide's bulk schedule deletion sample
	addRegistry(&registry{UUID: BulkRegistryID, Name: "bulk-docs", URI: "https://bulk-docs.example", Type: "V2", TotalImages: 1})

	labels := []Label{{Key: "image-source", Value: "Docker Hub"}, {Key: "name", Value: "Qualys Sensor Image"}, {Key: "vendor", Value: "Qualys, Inc"}, {Key: "maintainer", Value: "DevOps <devops@qualys.com>"}}
	addSensor := func(sn Sensor) {
		if sn.AssociatedSensorProfile == "" {
			sn.AssociatedSensorProfile = DefaultProfileID
		}
		if sn.Platform == "" {
			sn.Platform = "LINUX_SENSOR"
		}
		if sn.ContainerRuntime == "" {
			sn.ContainerRuntime, sn.Architecture, sn.CustomerUUID = "DOCKER", "x86_64", "1ab79f42-6cc3-757c-83d9-b0562c8a6dc8"
		}
		c := sn
		st.sensors[sn.UUID] = &c
		st.sensorOrder = append(st.sensorOrder, sn.UUID)
	}
	recent := func(d time.Duration) Millis { return MillisOf(now.Add(-d)) }
	addSensor(Sensor{UUID: "e9f3c631-e440-443f-92d0-73624647b707", ActivationUUID: "9315142c-d52e-4378-b3e9-6ca16925f15f", Hostname: "ip-10-82-11-73", DockerVersion: "20.10.12", IPv4: "10.82.11.73", OS: "Ubuntu 20.04.4 LTS", IPv6: "fe80::8c6:9aff:fe55:1239", SensorVersion: "1.16.0-0", LastCheckedIn: recent(10 * time.Minute), Label: labels, Privileged: strp("false"), MacAddress: "0a:c6:9a:55:12:39", HostUUID: "be084969-957f-4959-a813-fa06ded2dde5", Status: "Provisioned", Registry: strp("docker.io"), Sha: strp("49fc4327957c8979dcf87a7436c8152fa10b3039197489e631c3f7f595398740"), SensorID: strp("49fc4327957c"), Name: strp("qualys-container-sensor"), Created: ms(1657793184000), ImageID: strp("1ab23c77b5d4"), ImageSha: strp("1ab23c77b5d44b1e798355c73f3e5feb3ceab8d0bcf9cd3ef0b8511a6f685ba6"), SensorType: "REGISTRY", ContainerRuntimeVersion: "20.10.12", AssociatedSensorProfile: NorthProfileID})
	addSensor(Sensor{UUID: "4b5e39f6-2b49-4a8f-8422-881cfb9e4f98", ActivationUUID: "dbbcdb37-a861-4d8a-9d5a-f49de4cd4a46", Hostname: "ip-10-82-10-215", DockerVersion: "20.10.12", IPv4: "10.82.10.215", OS: "Ubuntu 20.04.4 LTS", SensorVersion: "1.15.1-5", LastCheckedIn: recent(3 * time.Hour), Label: labels[:2], Privileged: strp("false"), HostUUID: "e06ba849-9911-4b62-83bc-b4d1e0595978", Status: "Provisioned", Registry: strp("docker.io"), Sha: strp("d99c6d36726e344bbea70e04068abc2cedb067ce946349b5873c13740ecbd7ef"), SensorID: strp("d99c6d36726e"), Name: strp("qualys-container-sensor"), Created: ms(1656918462000), SensorType: "REGISTRY", ContainerRuntimeVersion: "20.10.12"})
	addSensor(Sensor{UUID: "3a00f41d-8bb8-41d2-b2c2-54ed50131082", Hostname: "ip-10-82-12-20", IPv4: "10.82.12.20", OS: "Ubuntu 20.04.4 LTS", SensorVersion: "1.21.0-0", LastCheckedIn: recent(20 * time.Minute), Status: "Running", SensorID: strp("3a00f41d8bb8"), SensorType: "REGISTRY"})
	addSensor(Sensor{UUID: "7cbc434a-5387-4591-940d-c8bfd131a699", Hostname: "ip-10-82-12-21", IPv4: "10.82.12.21", OS: "Ubuntu 20.04.4 LTS", SensorVersion: "1.21.0-0", LastCheckedIn: recent(25 * time.Minute), Status: "Running", SensorID: strp("7cbc434a5387"), SensorType: "REGISTRY"})
	addSensor(Sensor{UUID: "88db9156-6c9e-45cc-8fce-11b889bb76b4", ActivationUUID: "39b63fbb-3e3a-4905-829f-aaae794079fc", Hostname: "ip-10-82-10-7", DockerVersion: "20.10.12", IPv4: "10.82.10.7", OS: "Ubuntu 21.10", IPv6: "fe80::8ea:87ff:fe3f:d8c7", SensorVersion: "1.21.0-0", LastCheckedIn: ms(1669614979341), MacAddress: "0a:ea:87:3f:d8:c7", HostUUID: "fcd2ce3e-dfed-43ca-a5c1-b680065103cb", Status: "Unknown", SensorType: "GENERAL", ContainerRuntimeVersion: "20.10.12"})
	addSensor(Sensor{UUID: "13b7a4cd-693c-4fe5-87d5-98fcf3f0b8a5", ActivationUUID: "39b63fbb-3e3a-4905-829f-aaae794079fc", Hostname: "ip-10-82-8-106", DockerVersion: "20.10.12", IPv4: "10.82.8.106", OS: "Ubuntu 21.10", IPv6: "fe80::8d3:acff:fecc:477b", SensorVersion: "1.21.0-0", LastCheckedIn: recent(time.Hour), Label: labels, Privileged: strp("false"), MacAddress: "0a:d3:ac:cc:47:7b", HostUUID: "8621d2c6-e434-4530-8726-ecbca083eb92", Status: "Provisioned", Registry: strp("docker.io"), Sha: strp("7cf7650df563c7d11ce9b4ee9c7250254682eb8ccf796c7943d2dc2498e9264c"), SensorID: strp("7cf7650df563"), Name: strp("test-container-sensor"), Created: ms(1669617635000), ImageID: strp("95940c047e5a"), ImageSha: strp("95940c047e5a934f470dfe3ac7e97b2ef33f3a695ac75ba609e3e1f9d7afa7d1"), SensorType: "GENERAL", ContainerRuntimeVersion: "20.10.12"})
	addSensor(Sensor{UUID: "f1edef37-8d72-4f5d-87ed-9d6da981cffe", ActivationUUID: "39b63fbb-3e3a-4905-829f-aaae794079fc", Hostname: "test-virtual-machine", DockerVersion: "20.10.18", IPv4: "10.115.145.155", OS: "Ubuntu 18.04.6 LTS", IPv6: "fe80::78a0:a7a0:2424:609b", SensorVersion: "1.21.0-0", LastCheckedIn: recent(5 * time.Minute), Label: labels, Privileged: strp("false"), MacAddress: "00:50:56:aa:1f:17", HostUUID: "630050dd-0110-0002-8170-0050568cd03b", Status: "Running", Registry: strp("docker.io"), Sha: strp("4ad04dc3cab81d70fd7205cfb223d50ccc9b4e61d39514930ce2cce1fcf6454a"), SensorID: strp("4ad04dc3cab8"), Name: strp("test-container-sensor"), Created: ms(1669285071000), ImageID: strp("95940c047e5a"), ImageSha: strp("95940c047e5a934f470dfe3ac7e97b2ef33f3a695ac75ba609e3e1f9d7afa7d1"), SensorType: "GENERAL", ContainerRuntimeVersion: "20.10.18", AssociatedSensorProfile: GeneralProfileID})
	addSensor(Sensor{UUID: "b17cdd54-64ff-4b37-b83e-6dcfa3ea5ba9", Hostname: "ci-runner-1", IPv4: "10.20.0.11", OS: "Alpine 3.16", SensorVersion: "1.21.0-0", LastCheckedIn: recent(2 * time.Hour), Status: "Running", SensorType: "CICD"})
	addSensor(Sensor{UUID: "6e651384-7412-4e7e-ae4f-fbf045bacb25", Hostname: "ci-runner-2", IPv4: "10.20.0.12", OS: "Alpine 3.16", SensorVersion: "1.19.0-0", LastCheckedIn: ms(1650000000000), Status: "Unknown", SensorType: "CICD"})
	st.activation = Activation{CustomerID: "1ab79f42-6cc3-757c-83d9-b0562c8a6dc8", ActivationID: "39b63fbb-3e3a-4905-829f-aaae794079fc", PlatformURL: "https://qagpublic.qg2.apps.qualys.com/ContainerSensor"}
	seedRegistries(st, now)
	seedTags(st)
	seedPolicies(st)
	st.schedules = reportSchedules{byID: map[string]*reportSchedule{}}
	return st
}
