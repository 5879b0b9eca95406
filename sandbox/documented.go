package sandbox

import "strings"

// The assets the current CS API pages' samples name (2026): a few images
// and containers of the synthetic inventory take their IDs, so that each
// documented sample request, sent as it stands, reaches what it names.
// They are the last images (never run: the inventory runs the first 70%)
// and the last containers, so the inventory's size and shape are the
// same as without them.

// Images the 2026 samples name.
const (
	DocImageUUID         = "9baf9f85-f3bf-3259-b8d5-3cd51967d34a" // exceptions: create (idsToAdd), assign
	DocImageUUID2        = "b5373ff0-044d-3004-8368-88541ae64a75" // exceptions: create (idsToAdd)
	DocImageUUID3        = "1f06ff34-a1e2-381e-a29c-46e54e57c70d" // exceptions: update (idsToAdd)
	DocExceptionImageSha = "9bfbb2de033f1646f63fcdad40a89b13915f0673aa19ae5494b34a826bc9935b"
	DocDetailsImageSha   = "c64844065dcbc3d0a90c365c1f56421766a5cebf05f7ecbd3377af410fff09fd"
	DocComplianceSha     = "2724e40d4303391e1a46884134da358e20a6d0b03f32ee6c412079ddb4ac6783"
	DocTaggedImageUUID   = "5344c653-2472-3727-8397-3163d97ce6cb" // tag assign's answer
	DocListedImageSha    = "4f67c83422ec747235357c04556616234e66fc3fa39cb4f40b2d4441ddd8f100"
	// DocVulnImageID is the vulnerability sample's image, whose SHA the page
	// elides to 76c8fb57…f4ad: its short imageId is those ends.
	DocVulnImageID = "76c8fb57f4ad"
)

// Containers the 2026 samples name.
const (
	DocExceptionContainerSha = "d1094f463df2ce4341a36c65fc4e163ee4a6d8e474d9dd844fa20571dd421df0"
	DocContainerUUID         = "5081c32c-2176-3445-82ec-7a68b9df22b6" // exceptions: assign
	DocDetailsContainerSha   = "152f8ffb104795393f88ea204035b76efdd1c94b4dc99043b1be265245b05892"
)

// documentAssets gives the last images and containers the documented IDs;
// an inventory too small to spare them is left as it is.
func documentAssets(inv *inventory) {
	type id struct{ uuid, sha string }
	images := []id{{uuid: DocImageUUID}, {uuid: DocImageUUID2}, {uuid: DocImageUUID3}, {sha: DocExceptionImageSha}, {sha: DocDetailsImageSha},
		{uuid: "9badf287-5629-33a0-8059-3673720ddd11", sha: DocComplianceSha}, {uuid: DocTaggedImageUUID},
		{uuid: "16c984cf-7029-3cd9-951f-b9ef7d712059", sha: DocListedImageSha}, {sha: DocVulnImageID + strings.Repeat("0", 48) + "f4ad"}}
	containers := []id{{sha: DocExceptionContainerSha}, {uuid: DocContainerUUID}, {uuid: "edc6f562-20ab-318d-9823-f0be5d486add", sha: DocDetailsContainerSha}}
	if len(inv.images) < 30 || len(inv.containers) < 10 {
		return
	}
	for i, d := range images {
		im := inv.images[len(inv.images)-1-i]
		if len(im.containers) > 0 {
			continue // run: keep it as it is
		}
		delete(inv.imageBySha, im.sha)
		delete(inv.imageByID, im.imageID)
		if d.uuid != "" {
			im.uuid = d.uuid
		}
		if d.sha != "" {
			im.sha, im.imageID = d.sha, d.sha[:12]
		}
		inv.imageBySha[im.sha], inv.imageByID[im.imageID] = im, im
	}
	for i, d := range containers {
		c := inv.containers[len(inv.containers)-1-i]
		delete(inv.containerBy, c.sha)
		delete(inv.containerBy, c.containerID)
		delete(inv.containerBy, c.uuid)
		if d.uuid != "" {
			c.uuid = d.uuid
		}
		if d.sha != "" {
			c.sha, c.containerID = d.sha, d.sha[:12]
		}
		inv.containerBy[c.sha], inv.containerBy[c.containerID], inv.containerBy[c.uuid] = c, c, c
	}
}
