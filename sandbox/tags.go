package sandbox

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
)

// Tags (the 2026 guide, releases 1.41 and 1.43): a dynamic tag has a QQL
// rule per entity type (image, container) and tags what its rules match
// when it is (re-)evaluated; any tag can be assigned to an image or a
// container by hand, an image's tag cascading to its containers if asked.
// Centralized policies name tags by UUID.

type tag struct {
	ID                                     int64
	UUID, Name                             string
	BackgroundColor, ForegroundColor, Icon *string
	CriticalityScore                       *int
	rules                                  map[string]string // "image", "container" -> rule
}

type tagState struct {
	byUUID   map[string]*tag
	order    []string
	nextID   int64
	assigned map[string][]string // image or container UUID -> tag UUIDs
}

// The tags the pages' samples name.
const (
	DocTagUUID       = "cf203e51-490f-47d4-b271-bdc4822f6181" // Tag-101, on the policy details sample
	DocPolicyTagUUID = "095a966f-fb5f-4eb5-8d43-b77d1a740876" // the create policy sample's tag
	DocDynamicTag    = "ai_test1"                             // the update tag samples' tag, with an image rule
)

func seedTags(st *state) {
	st.tags = tagState{byUUID: map[string]*tag{}, nextID: 163606300, assigned: map[string][]string{}}
	green, black := "#B6D7A8", "#000000"
	zero := 0
	for _, t := range []*tag{
		{ID: 7624640, UUID: DocTagUUID, Name: "Tag-101", BackgroundColor: &green, ForegroundColor: &black, CriticalityScore: &zero},
		{ID: 7624641, UUID: DocPolicyTagUUID, Name: "ci-gate"},
		{ID: 163606266, UUID: "6b1f0a52-3f4e-4a8e-9d41-0c2b7e9f5a11", Name: DocDynamicTag, rules: map[string]string{"image": "image.source:GENERAL "}},
	} {
		st.tags.add(t)
	}
}

func (ts *tagState) add(t *tag) {
	if t.rules == nil {
		t.rules = map[string]string{}
	}
	ts.byUUID[t.UUID] = t
	ts.order = append(ts.order, t.UUID)
}

func (ts *tagState) byName(name string) *tag {
	for _, id := range ts.order {
		if t := ts.byUUID[id]; strings.EqualFold(t.Name, name) {
			return t
		}
	}
	return nil
}

func (ts *tagState) assign(entity, tagUUID string) {
	if !slices.Contains(ts.assigned[entity], tagUUID) {
		ts.assigned[entity] = append(ts.assigned[entity], tagUUID)
	}
}

// TagsOf returns the names of the tags on an image or container (by UUID).
func (s *Server) TagsOf(entityUUID string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, id := range s.state.tags.assigned[entityUUID] {
		out = append(out, s.state.tags.byUUID[id].Name)
	}
	return out
}

// objectJSON is a tag as the policy details answer it (tagIds[]).
func (t *tag) objectJSON() map[string]any {
	return map[string]any{"uuid": t.UUID, "id": t.ID, "name": t.Name, "backgroundColor": t.BackgroundColor, "foregroundColor": t.ForegroundColor,
		"icon": t.Icon, "criticalityScore": t.CriticalityScore, "tagType": nil}
}

// ruleJSON is a tag as create and update answer it.
func (t *tag) ruleJSON() map[string]any {
	info := []map[string]any{}
	for _, typ := range []string{"image", "container"} {
		if rule, ok := t.rules[typ]; ok {
			info = append(info, map[string]any{"entityType": typ, "dynamicTagRule": rule})
		}
	}
	return map[string]any{"tagId": t.ID, "name": t.Name, "backgroundColor": t.BackgroundColor, "foregroundColor": t.ForegroundColor,
		"icon": t.Icon, "criticalityScore": t.CriticalityScore, "entityTagInfo": info}
}

// rulesOf reads a list of rules (field: the body's name for it), one per
// entity type; for a rule added to tag t, of a type t has no rule for.
func rulesOf(field string, list []tagRule, t *tag) (map[string]string, string) {
	rules := map[string]string{}
	for _, tr := range list {
		typ := strings.ToLower(tr.EntityType)
		if msg := checkRule(typ, tr.Rule); msg != "" {
			return nil, field + ": " + msg
		}
		if _, dup := rules[typ]; dup {
			return nil, field + ": one rule per entityType; " + tr.EntityType + " has two"
		}
		if t != nil && t.rules[typ] != "" {
			return nil, fmt.Sprintf("%s: tag %s has a %s rule already; change it with entityTypeRuleToUpdate", field, t.Name, typ)
		}
		rules[typ] = tr.Rule
	}
	return rules, ""
}

type tagRule struct {
	EntityType string `json:"entityType"`
	Rule       string `json:"rule"`
}

// checkRule checks a rule for an entity type (image or container): QQL
// whose fields are the entity's, prefixed with its type.
func checkRule(typ, rule string) string {
	if typ != "image" && typ != "container" {
		return "entityType must be IMAGE or CONTAINER"
	}
	for _, f := range filterFields(rule) {
		if !strings.HasPrefix(f, typ+".") {
			return fmt.Sprintf("rule %q: %s is not a %s field (those start %s.)", rule, f, typ, typ)
		}
	}
	if _, err := parseQQL(strings.ReplaceAll(rule, typ+".", "")); err != nil {
		return fmt.Sprintf("rule %q: %v", rule, err)
	}
	return ""
}

// evaluate tags what t's rules match now.
func (a *invAPI) evaluate(t *tag) {
	images, containers := a.inv.docs()
	for typ, rule := range t.rules {
		pred, err := parseQQL(strings.ReplaceAll(rule, typ+".", ""))
		if err != nil {
			continue
		}
		docs := images
		if typ == "container" {
			docs = containers
		}
		for _, d := range docs {
			if pred(d) {
				a.st.tags.assign(fmt.Sprint(d["uuid"]), t.UUID)
			}
		}
	}
}

func (a *invAPI) createTag(w http.ResponseWriter, r *http.Request) {
	var b struct {
		Name            *string   `json:"name"`
		Reevaluate      *bool     `json:"reevaluate"`
		TagInfoDataList []tagRule `json:"tagInfoDataList"`
	}
	if !decodeBody(w, r, &b) {
		return
	}
	if b.Name == nil || strings.TrimSpace(*b.Name) == "" {
		badRequest(w, "name is required")
		return
	}
	if a.st.tags.byName(*b.Name) != nil {
		badRequest(w, "a tag named %s already exists", *b.Name)
		return
	}
	rules, msg := rulesOf("tagInfoDataList", b.TagInfoDataList, nil)
	if msg != "" {
		badRequest(w, "%s", msg)
		return
	}
	t := &tag{UUID: newUUID(), Name: *b.Name, rules: rules}
	t.ID = a.st.tags.nextID
	a.st.tags.nextID++
	a.st.tags.add(t)
	if b.Reevaluate != nil && *b.Reevaluate {
		a.evaluate(t)
	}
	writeJSON(w, http.StatusOK, t.ruleJSON())
}

func (a *invAPI) updateTag(w http.ResponseWriter, r *http.Request) {
	var b struct {
		Name                   *string           `json:"name"`
		Reevaluate             *bool             `json:"reevaluate"`
		EntityTypeToAdd        []tagRule         `json:"entityTypeToAdd"`
		EntityTypeRuleToUpdate map[string]string `json:"entityTypeRuleToUpdate"`
	}
	if !decodeBody(w, r, &b) {
		return
	}
	if b.Name == nil {
		badRequest(w, "name is required")
		return
	}
	t := a.st.tags.byName(*b.Name)
	if t == nil {
		notFound(w, "Tag", *b.Name)
		return
	}
	if (len(b.EntityTypeToAdd) > 0) == (len(b.EntityTypeRuleToUpdate) > 0) {
		badRequest(w, "give exactly one of entityTypeToAdd (a rule for an entity type the tag has none for) and entityTypeRuleToUpdate (a new rule for one it has)")
		return
	}
	rules, msg := rulesOf("entityTypeToAdd", b.EntityTypeToAdd, t)
	if msg != "" {
		badRequest(w, "%s", msg)
		return
	}
	for typ, rule := range b.EntityTypeRuleToUpdate {
		if msg := checkRule(typ, rule); msg != "" {
			badRequest(w, "entityTypeRuleToUpdate: %s", msg)
			return
		}
		if _, has := t.rules[typ]; !has {
			badRequest(w, "entityTypeRuleToUpdate: tag %s has no %s rule; add one with entityTypeToAdd", t.Name, typ)
			return
		}
		rules[typ] = rule
	}
	maps.Copy(t.rules, rules)
	if b.Reevaluate != nil && *b.Reevaluate {
		a.evaluate(t)
	}
	writeJSON(w, http.StatusOK, t.ruleJSON())
}

func (a *invAPI) evaluateTags(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("tagName")
	t := a.st.tags.byName(name)
	switch {
	case name == "":
		badRequest(w, "tagName is required")
	case t == nil:
		notFound(w, "Tag", name)
	case len(t.rules) == 0:
		badRequest(w, "tag %s has no dynamic rule to evaluate", name)
	default:
		a.evaluate(t)
		w.WriteHeader(http.StatusOK) // the answer's body is not documented
	}
}

func (a *invAPI) assignTags(w http.ResponseWriter, r *http.Request) {
	var b struct {
		EntitySha      *string `json:"entitySha"`
		EntityUUID     *string `json:"entityUUID"`
		TagName        *string `json:"tagName"`
		EntityType     *string `json:"entityType"`
		SubscriptionID *string `json:"subscriptionId"`
		ModuleCode     *string `json:"moduleCode"`
		TagsToAdd      []struct {
			TagUUID              string `json:"tagUuid"`
			IsCascadeToContainer bool   `json:"isCascadeToContainer"`
		} `json:"tagsToAdd"`
	}
	if !decodeBody(w, r, &b) {
		return
	}
	if b.EntityType == nil || *b.EntityType != "IMAGE" && *b.EntityType != "CONTAINER" {
		badRequest(w, "entityType must be IMAGE or CONTAINER")
		return
	}
	if b.ModuleCode != nil && *b.ModuleCode != "CS" {
		badRequest(w, "moduleCode must be CS")
		return
	}
	// the entity: by UUID or by SHA (both given, they must name the same one)
	var im *image
	entity := ""
	for _, id := range []*string{b.EntityUUID, b.EntitySha} {
		if id == nil {
			continue
		}
		var got string
		if *b.EntityType == "IMAGE" {
			x := a.inv.imageByUUID(*id)
			if x == nil && id == b.EntitySha {
				x = a.inv.image(*id)
			}
			if x != nil {
				im, got = x, x.uuid
			}
		} else if x := a.inv.containerBy[*id]; x != nil {
			got = x.uuid
		}
		switch {
		case got == "":
			notFound(w, strings.ToLower(*b.EntityType), *id)
			return
		case entity != "" && got != entity:
			badRequest(w, "entityUUID and entitySha name different %ss", strings.ToLower(*b.EntityType))
			return
		}
		entity = got
	}
	if entity == "" {
		badRequest(w, "give entityUUID or entitySha")
		return
	}
	if len(b.TagsToAdd) == 0 && (b.TagName == nil || *b.TagName == "") {
		badRequest(w, "give tagsToAdd or tagName")
		return
	}
	for _, ta := range b.TagsToAdd {
		if a.st.tags.byUUID[ta.TagUUID] == nil {
			notFound(w, "Tag", ta.TagUUID)
			return
		}
	}
	for _, ta := range b.TagsToAdd {
		a.st.tags.assign(entity, ta.TagUUID)
		if ta.IsCascadeToContainer && im != nil {
			for _, ic := range im.containers {
				a.st.tags.assign(ic.uuid, ta.TagUUID)
			}
		}
	}
	if b.TagName != nil && *b.TagName != "" {
		t := a.st.tags.byName(*b.TagName)
		if t == nil { // a tag name that does not exist makes the tag
			t = &tag{UUID: newUUID(), Name: *b.TagName, ID: a.st.tags.nextID}
			a.st.tags.nextID++
			a.st.tags.add(t)
		}
		a.st.tags.assign(entity, t.UUID)
	}
	writeJSON(w, http.StatusOK, map[string]string{"entityUUID": entity, "cascadingKafkaJobUuid": newUUID()})
}

// tagRoutes are the tag operations (served with the inventory).
func (a *invAPI) tagRoutes() map[string]http.HandlerFunc {
	return map[string]http.HandlerFunc{
		"POST /tag/create":       a.createTag,
		"PUT /tag/update":        a.updateTag,
		"POST /tag/evaluateTags": a.evaluateTags,
		"POST /tag/assign":       a.assignTags,
	}
}
