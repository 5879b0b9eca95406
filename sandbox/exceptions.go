package sandbox

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// Vulnerability exceptions (the 2026 guide): an exception accepts the risk
// of (or marks as false positive) the QIDs of a QID list on images or on
// containers, from a start to an end date. Its assets are given by UUID
// (STATIC) or by a QQL filter on the repository (DYNAMIC); an IMAGE
// exception applies to the containers of its images too. While it is
// active, an image's vulnerability list leaves its QIDs out unless
// applyException=false.

// qidLists are the QID lists exceptions point at. No documented API
// creates or reads them: the sandbox has the lists the pages' samples
// name, the first with Log4Shell's QIDs and the next with Spring4Shell's.
var qidLists = map[string][]int{
	QIDListLog4j:                           {376187, 376209},
	QIDListSpring:                          {730857},
	"e236f17d-0ed2-4f5b-8bab-c4ae76b57f7b": {690021},
	"54adb7d8-834a-41cb-97c2-fb26192e5f25": {}, // the details page answers qids [] for it
	"1ef54477-eb0a-455f-b57f-ccfa18f0825d": {},
}

// The QID lists a test can point an exception at.
const (
	QIDListLog4j  = "5e586467-af10-47b8-ab26-509ac3b823b2" // 376187, 376209 (Log4j)
	QIDListSpring = "5a131be0-4a50-4233-b96d-1209f4c44ed1" // 730857 (Spring4Shell)
)

// The exceptions the pages' samples name.
const (
	DocExceptionID          = "3f86db22-2a2e-4976-a947-07d575fb50d5" // VulException1, on DocImageUUID and DocImageUUID2
	DocImageExceptionID     = "c0b4ec8d-a186-4f2c-9a6d-3adc3dfb3cff" // Test 1 (IMAGE), on the image of DocExceptionContainerSha
	DocContainerExceptionID = "370eb9dc-bf72-4394-bb39-6b25e1c87f3a" // CONTAINER, on nothing yet
)

type exception struct {
	ID, Name, Reason, Explanation, Scope, ListID, Assignment, DynamicFilter string
	Start, End                                                              int64
	CreatedBy, UpdatedBy                                                    string
	Created, Updated                                                        int64
	assets                                                                  []string // STATIC: image or container UUIDs
}

type exceptions struct {
	byID  map[string]*exception
	order []string
}

func (xs *exceptions) add(x *exception) {
	xs.byID[x.ID] = x
	xs.order = append(xs.order, x.ID)
}

// seedExceptions adds the pages' exceptions, on the documented assets.
func seedExceptions(inv *inventory) {
	xs := &exceptions{byID: map[string]*exception{}}
	inv.exceptions = xs
	const far = 4102358400000 // 2099-12-31: the pages' "no expiry"
	img := func(uuid string) []string {
		if inv.imageByUUID(uuid) == nil {
			return nil
		}
		return []string{uuid}
	}
	var c0Image, c0 []string
	if c := inv.containerBy[DocExceptionContainerSha]; c != nil {
		c0Image, c0 = []string{c.image.uuid}, []string{c.uuid}
	}
	var docImage []string
	if im := inv.imageBySha[DocExceptionImageSha]; im != nil {
		docImage = []string{im.uuid}
	}
	for _, x := range []*exception{
		{ID: DocExceptionID, Name: "VulException1", Reason: "RISK_ACCEPTED", Explanation: "Testing API", Scope: "IMAGE", ListID: QIDListLog4j,
			Start: 1687777225000, End: far, CreatedBy: "rq30", Created: 1687777225000, assets: append(img(DocImageUUID), img(DocImageUUID2)...)},
		{ID: "760b9868-8f41-4754-b51c-0d59d27e9945", Name: "Test02", Reason: "RISK_ACCEPTED", Explanation: "ola", Scope: "IMAGE",
			ListID: "e236f17d-0ed2-4f5b-8bab-c4ae76b57f7b", Start: 1687533496914, End: far, CreatedBy: "rq30", Created: 1687519907347, Updated: 1687765454244},
		{ID: "9e9f0cdc-7740-454b-abae-591002af4c65", Name: "testing", Reason: "RISK_ACCEPTED", Explanation: "jkl", Scope: "IMAGE", Assignment: "DYNAMIC",
			DynamicFilter: "repo.repository:`test`", ListID: "54adb7d8-834a-41cb-97c2-fb26192e5f25", Start: 1698314809375, End: 1698401209375,
			CreatedBy: "trupt_tb9", Created: 1698314809826},
		{ID: "77116d5b-aaa0-4dba-a334-9fe6a6f0dd98", Name: "Future_Exception", Reason: "RISK_ACCEPTED", Explanation: "Okay", Scope: "IMAGE",
			ListID: QIDListSpring, Start: 1688389200000, End: far, CreatedBy: "rq30", Created: 1688364403483, Updated: 1688364723810, assets: docImage},
		{ID: DocImageExceptionID, Name: "Test 1", Reason: "FALSE_POSITIVE", Explanation: "False positive", Scope: "IMAGE",
			ListID: "1ef54477-eb0a-455f-b57f-ccfa18f0825d", Start: 1687860273830, End: far, CreatedBy: "zp53", Created: 1687845954606, assets: c0Image},
		{ID: "d7b11c61-dcf2-4cf5-b369-8877f1b619c6", Name: "Test 2", Reason: "RISK_ACCEPTED", Explanation: "Risk accepted", Scope: "CONTAINER",
			ListID: "1ef54477-eb0a-455f-b57f-ccfa18f0825d", Start: 1687860273830, End: far, CreatedBy: "zp53", Created: 1687845954606, assets: c0},
		{ID: DocContainerExceptionID, Name: "Container_Exception", Reason: "RISK_ACCEPTED", Explanation: "Accepted on one container", Scope: "CONTAINER",
			ListID: "1ef54477-eb0a-455f-b57f-ccfa18f0825d", Start: 1687860273830, End: far, CreatedBy: "zp53", Created: 1687845954606},
	} {
		if x.Assignment == "" {
			x.Assignment = "STATIC"
		}
		if x.Updated == 0 {
			x.Updated = x.Created
		}
		x.UpdatedBy = x.CreatedBy
		xs.add(x)
	}
}

func (inv *inventory) imageByUUID(id string) *image {
	for _, im := range inv.images {
		if im.uuid == id {
			return im
		}
	}
	return nil
}

// exceptionAsset is what an exception's QQL filter sees of an asset: its
// image's repositories and, for a container, its cluster.
func exceptionAsset(im *image, c *container) map[string]any {
	var cl *Cluster
	if c != nil {
		cl = c.cluster
	}
	return asMap(struct {
		Repo    []Repo   `json:"repo"`
		Cluster *Cluster `json:"cluster,omitempty"`
	}{im.repo, cl})
}

// appliesTo says whether x is on the image im or, c non-nil, on the
// container c of im: an IMAGE exception is on its images and on their
// containers.
func (x *exception) appliesTo(im *image, c *container) bool {
	switch {
	case x.Scope == "IMAGE" && x.Assignment == "DYNAMIC":
		return matchesQQL(x.DynamicFilter, exceptionAsset(im, nil))
	case x.Scope == "IMAGE":
		return slices.Contains(x.assets, im.uuid)
	case c == nil:
		return false
	case x.Assignment == "DYNAMIC":
		return matchesQQL(x.DynamicFilter, exceptionAsset(im, c))
	}
	return slices.Contains(x.assets, c.uuid)
}

func matchesQQL(q string, doc map[string]any) bool {
	pred, err := parseQQL(q)
	return err == nil && pred(doc)
}

// on lists the exceptions on the image im, or on its container c (c
// non-nil: the container's own, and its image's).
func (xs *exceptions) on(im *image, c *container) []*exception {
	var out []*exception
	for _, id := range xs.order {
		x := xs.byID[id]
		if x.appliesTo(im, c) {
			out = append(out, x)
		}
	}
	return out
}

// excepted are the QIDs the active exceptions on an image leave out.
func (xs *exceptions) excepted(im *image, now int64) map[int]bool {
	out := map[int]bool{}
	for _, x := range xs.on(im, nil) {
		if x.Start <= now && now <= x.End {
			for _, q := range qidLists[x.ListID] {
				out[q] = true
			}
		}
	}
	return out
}

func (x *exception) assetJSON() map[string]any {
	return map[string]any{"uuid": x.ID, "name": x.Name, "createdBy": x.CreatedBy, "created": ms(x.Created), "updatedBy": x.UpdatedBy,
		"updated": ms(x.Updated), "reason": x.Reason, "explanation": x.Explanation, "scope": nil, "listId": x.ListID,
		"startDate": ms(x.Start), "endDate": ms(x.End)}
}

func (x *exception) detailsJSON(withQids bool) map[string]any {
	m := map[string]any{"exceptionId": x.ID, "name": x.Name, "createdBy": x.CreatedBy, "updatedBy": x.UpdatedBy, "created": ms(x.Created),
		"updated": ms(x.Updated), "explanation": x.Explanation, "reason": x.Reason, "scope": x.Scope, "entityAssignmentType": x.Assignment,
		"listId": x.ListID, "startDate": ms(x.Start), "endDate": ms(x.End), "qids": nil}
	if x.Assignment == "DYNAMIC" {
		m["dynamicFilter"] = x.DynamicFilter
	}
	if withQids {
		m["qids"] = orEmpty(qidLists[x.ListID])
	}
	return m
}

// exceptionBody is create's and update's body.
type exceptionBody struct {
	Name                    *string `json:"name"`
	Reason                  *string `json:"reason"`
	Explanation             *string `json:"explanation"`
	Scope                   *string `json:"scope"`
	ListID                  *string `json:"listId"`
	ExceptionType           *string `json:"exceptionType"`
	EntityAssignmentType    *string `json:"entityAssignmentType"`
	DynamicFilter           *string `json:"dynamicFilter"`
	EntityAssignmentRequest *struct {
		IdsToAdd       []string `json:"idsToAdd"`
		AdditionFilter *string  `json:"additionFilter"`
	} `json:"entityAssignmentRequest"`
	StartDate *string `json:"startDate"`
	EndDate   *string `json:"endDate"`
}

// exceptionFields are the QQL fields an exception's filter may name.
var exceptionFields = map[string][]string{"IMAGE": {"repo.tag", "repo.repository", "repo.registry"},
	"CONTAINER": {"repo.tag", "repo.repository", "repo.registry", "cluster.k8s.pod.namespace"}}

// check validates a body; it returns the exception it describes (its
// assets resolved) or the problem.
func (a *invAPI) checkException(b *exceptionBody, self *exception) (*exception, string) {
	req := map[string]*string{"name": b.Name, "reason": b.Reason, "scope": b.Scope, "listId": b.ListID, "exceptionType": b.ExceptionType, "startDate": b.StartDate, "endDate": b.EndDate}
	for _, k := range sortedKeys(req) {
		if req[k] == nil || strings.TrimSpace(*req[k]) == "" {
			return nil, k + " is required"
		}
	}
	x := &exception{Name: *b.Name, Reason: *b.Reason, Scope: *b.Scope, ListID: *b.ListID, Assignment: "STATIC"}
	if b.Explanation != nil {
		x.Explanation = *b.Explanation
	}
	switch {
	case !slices.Contains([]string{"RISK_ACCEPTED", "FALSE_POSITIVE"}, x.Reason):
		return nil, "reason must be RISK_ACCEPTED or FALSE_POSITIVE"
	case x.Scope != "IMAGE" && x.Scope != "CONTAINER":
		return nil, "scope must be IMAGE or CONTAINER"
	case *b.ExceptionType != "VULNERABILITY":
		return nil, "exceptionType must be VULNERABILITY"
	case qidLists[x.ListID] == nil:
		return nil, fmt.Sprintf("listId %s is not a QID list of this subscription", x.ListID)
	}
	var err1, err2 error
	x.Start, err1 = strconv.ParseInt(*b.StartDate, 10, 64)
	x.End, err2 = strconv.ParseInt(*b.EndDate, 10, 64)
	if err1 != nil || err2 != nil {
		return nil, "startDate and endDate are epoch milliseconds, as strings"
	}
	if x.End <= x.Start {
		return nil, "endDate must be after startDate"
	}
	if b.EntityAssignmentType != nil {
		x.Assignment = *b.EntityAssignmentType
	}
	switch x.Assignment {
	case "DYNAMIC":
		if b.DynamicFilter == nil || strings.TrimSpace(*b.DynamicFilter) == "" {
			return nil, "dynamicFilter is required with entityAssignmentType DYNAMIC"
		}
		if msg := checkAssetFilter(*b.DynamicFilter, x.Scope); msg != "" {
			return nil, "dynamicFilter: " + msg
		}
		x.DynamicFilter = *b.DynamicFilter
		if b.EntityAssignmentRequest != nil && len(b.EntityAssignmentRequest.IdsToAdd) > 0 {
			return nil, "a DYNAMIC exception selects its assets by dynamicFilter: leave idsToAdd out"
		}
		return x, ""
	case "STATIC":
		if b.DynamicFilter != nil && *b.DynamicFilter != "" {
			return nil, "dynamicFilter applies only with entityAssignmentType DYNAMIC"
		}
	default:
		return nil, "entityAssignmentType must be STATIC or DYNAMIC"
	}
	if self != nil && b.EntityAssignmentRequest == nil {
		x.assets = self.assets // not given: the assets stay
		return x, ""
	}
	if r := b.EntityAssignmentRequest; r != nil {
		for _, id := range r.IdsToAdd {
			if a.asset(x.Scope, id) == "" {
				return nil, fmt.Sprintf("idsToAdd: %s is not the UUID of a %s", id, strings.ToLower(x.Scope))
			}
			if !slices.Contains(x.assets, id) {
				x.assets = append(x.assets, id)
			}
		}
		if len(r.IdsToAdd) == 0 && r.AdditionFilter != nil && *r.AdditionFilter != "" { // ignored when idsToAdd is given
			if msg := checkAssetFilter(*r.AdditionFilter, x.Scope); msg != "" {
				return nil, "additionFilter: " + msg
			}
			x.assets = a.matchingAssets(x.Scope, *r.AdditionFilter)
		}
	}
	return x, ""
}

// checkAssetFilter checks an exception's QQL: it parses and names only the
// documented tokens.
func checkAssetFilter(q, scope string) string {
	if _, err := parseQQL(q); err != nil {
		return err.Error()
	}
	for _, f := range filterFields(q) {
		if !slices.Contains(exceptionFields[scope], f) {
			return fmt.Sprintf("%s is not a field it takes; a %s exception's filter takes %s", f, strings.ToLower(scope), strings.Join(exceptionFields[scope], ", "))
		}
	}
	return ""
}

// asset is the UUID of the image or container (by scope) id names, or "".
func (a *invAPI) asset(scope, id string) string {
	if scope == "IMAGE" {
		if im := a.inv.imageByUUID(id); im != nil {
			return im.uuid
		}
		return ""
	}
	if c := a.inv.containerBy[id]; c != nil && c.uuid == id {
		return c.uuid
	}
	return ""
}

func (a *invAPI) matchingAssets(scope, q string) []string {
	var out []string
	if scope == "IMAGE" {
		for _, im := range a.inv.images {
			if matchesQQL(q, exceptionAsset(im, nil)) {
				out = append(out, im.uuid)
			}
		}
		return out
	}
	for _, c := range a.inv.containers {
		if matchesQQL(q, exceptionAsset(c.image, c)) {
			out = append(out, c.uuid)
		}
	}
	return out
}

// saveException serves create (old nil) and update (old: the exception
// the path names, which the body replaces).
func (a *invAPI) saveException(w http.ResponseWriter, r *http.Request, old *exception) {
	var b exceptionBody
	if !decodeBody(w, r, &b) {
		return
	}
	x, msg := a.checkException(&b, old)
	if msg != "" {
		badRequest(w, "%s", msg)
		return
	}
	now := a.now().UnixMilli()
	x.UpdatedBy, x.Updated = a.user, now
	if old == nil {
		x.ID, x.CreatedBy, x.Created = newUUID(), a.user, now
		a.inv.exceptions.add(x)
	} else {
		x.ID, x.CreatedBy, x.Created = old.ID, old.CreatedBy, old.Created
		*old = *x
	}
	writeJSON(w, http.StatusOK, map[string]string{"exceptionId": x.ID})
}

func (a *invAPI) exceptionOr404(w http.ResponseWriter, r *http.Request) *exception {
	id := r.PathValue("exceptionId")
	return orNotFound(w, "Exception", id, a.inv.exceptions.byID[id])
}

func (a *invAPI) getException(w http.ResponseWriter, r *http.Request) {
	x := a.exceptionOr404(w, r)
	if x == nil {
		return
	}
	with := r.URL.Query().Get("includeQids")
	if with != "" && with != "true" && with != "false" {
		badRequest(w, "includeQids must be true or false")
		return
	}
	writeJSON(w, http.StatusOK, x.detailsJSON(with == "true"))
}

func (a *invAPI) exceptionList(w http.ResponseWriter, xs []*exception, groups bool) {
	data := make([]map[string]any, 0, len(xs))
	for _, x := range xs {
		data = append(data, x.assetJSON())
	}
	out := map[string]any{"data": data, "count": len(data)}
	if groups {
		out["groups"] = nil // the image list answers groups null; the container list has none
	}
	writeJSON(w, http.StatusOK, out)
}

// assignExceptions serves PUT /images/{imageId}/exceptions and PUT
// /containers/{containerId}/exceptions: the path takes the asset's UUID.
func (a *invAPI) assignExceptions(scope string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("assetId")
		if a.asset(scope, id) == "" {
			notFound(w, strings.ToUpper(scope[:1])+strings.ToLower(scope[1:])+" (by UUID)", id)
			return
		}
		var b struct {
			ExceptionEvent *string  `json:"exceptionEvent"`
			ExceptionIds   []string `json:"exceptionIds"`
		}
		if !decodeBody(w, r, &b) {
			return
		}
		if b.ExceptionEvent == nil || *b.ExceptionEvent != "ASSIGN" && *b.ExceptionEvent != "DEASSIGN" {
			badRequest(w, "exceptionEvent must be ASSIGN or DEASSIGN")
			return
		}
		if len(b.ExceptionIds) == 0 {
			badRequest(w, "exceptionIds is required")
			return
		}
		assign := *b.ExceptionEvent == "ASSIGN"
		var xs []*exception
		for _, eid := range b.ExceptionIds {
			x := a.inv.exceptions.byID[eid]
			switch {
			case x == nil:
				notFound(w, "Exception", eid)
				return
			case x.Scope != scope:
				badRequest(w, "exception %s has scope %s: it cannot be assigned to a %s", eid, x.Scope, strings.ToLower(scope))
				return
			case x.Assignment == "DYNAMIC":
				badRequest(w, "exception %s is DYNAMIC: its dynamicFilter selects its assets", eid)
				return
			case !assign && !slices.Contains(x.assets, id):
				badRequest(w, "exception %s is not assigned to %s %s", eid, strings.ToLower(scope), id)
				return
			}
			xs = append(xs, x)
		}
		for _, x := range xs {
			if assign && !slices.Contains(x.assets, id) {
				x.assets = append(x.assets, id)
			}
			if !assign {
				x.assets = slices.DeleteFunc(x.assets, func(s string) bool { return s == id })
			}
		}
		if scope == "IMAGE" {
			writeJSON(w, http.StatusOK, map[string]string{"imageUuid": id})
		} else {
			writeJSON(w, http.StatusOK, map[string]string{"ContainerUuid": id}) // sic: the page's capital C
		}
	}
}

// exceptionRoutes are the exception operations (served with the inventory).
func (a *invAPI) exceptionRoutes() map[string]http.HandlerFunc {
	return map[string]http.HandlerFunc{
		"POST /exception":              func(w http.ResponseWriter, r *http.Request) { a.saveException(w, r, nil) },
		"GET /exception/{exceptionId}": a.getException,
		"PUT /exception/{exceptionId}": func(w http.ResponseWriter, r *http.Request) {
			if old := a.exceptionOr404(w, r); old != nil {
				a.saveException(w, r, old)
			}
		},
		"GET /images/{imageSha}/exceptions": a.withImage(func(w http.ResponseWriter, r *http.Request, im *image) {
			a.exceptionList(w, a.inv.exceptions.on(im, nil), true)
		}),
		"GET /containers/{containerSha}/exceptions": a.withContainer(func(w http.ResponseWriter, r *http.Request, c *container) {
			a.exceptionList(w, a.inv.exceptions.on(c.image, c), false)
		}),
		"PUT /images/{assetId}/exceptions":     a.assignExceptions("IMAGE"),
		"PUT /containers/{assetId}/exceptions": a.assignExceptions("CONTAINER"),
	}
}
