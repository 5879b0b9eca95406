package apicheck

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
)

// seedOp is an operation the OpenAPI document (2021) lacks and the
// release notes (v1.17, v1.21) define: its query parameters as their
// parameter tables list them, and its body as their samples show it.
type seedOp struct {
	method, path string
	query        []string // the parameters the tables list (pageNo is v1.1/v1.2 only)
	required     []string // the query parameters the tables mark mandatory
	bodyFrom     []string // "METHOD path" of the samples whose bodies make its body
	bodyRequired []string // the body fields the tables mark required
	body         *openapi3.Schema
	samples      []string
	missing      bool // the path is the release notes', the method is not
}

var listQuery = []string{"filter", "pageNumber", "pageSize", "sort"}

// seedOperationTable is what the release notes say of each operation;
// the body schemas are read from their samples.
func seedOperationTable() []*seedOp {
	profileBody := []string{"POST /sensorProfile", "PUT /sensorProfile/{sensorProfileId}"}
	return []*seedOp{
		{method: "GET", path: "/sensorProfile", query: listQuery},
		// v1.17: profileName, profileType, associatedSensorIds "(Required)"; associatedRegistryIds too, for
		// the Registry profiles v1.17 had; v1.21's General sample sends it null.
		{method: "POST", path: "/sensorProfile", bodyFrom: profileBody, bodyRequired: []string{"profileName", "profileType", "associatedSensorIds"}},
		{method: "GET", path: "/sensorProfile/{sensorProfileId}"},
		{method: "PUT", path: "/sensorProfile/{sensorProfileId}", bodyFrom: profileBody},
		{method: "DELETE", path: "/sensorProfile/{sensorProfileId}"},
		{method: "GET", path: "/sensorProfile/{sensorProfileId}/registry", query: listQuery},
		{method: "GET", path: "/sensorProfile/{sensorProfileId}/sensor", query: listQuery},
		{method: "GET", path: "/sensorProfile/sensor/associate", query: append([]string{"sensorProfileType"}, listQuery...), required: []string{"sensorProfileType"}},
		// v1.21's table: sensorType (mandatory, default GENERAL), pageNumber, pageSize, sort; no filter.
		{method: "GET", path: "/sensors/profile/associate", query: []string{"sensorType", "pageNumber", "pageSize", "sort"}},
		{method: "PUT", path: "/sensors/{sensorId}/profile/{profileId}/attach"},
		{method: "PUT", path: "/sensors/{sensorId}/profile/detach"},
	}
}

// seedOperations reads each operation's body schema from the samples:
// the union of their shapes (a field seen null in one sample and a string
// in another is a nullable string).
func seedOperations(samples []Sample) ([]*seedOp, error) {
	ops := seedOperationTable()
	var paths []string
	for _, op := range ops {
		paths = append(paths, op.path)
	}
	byOp := map[string][]Sample{}
	for _, s := range samples {
		if t, _ := match(paths, s.Path); t != "" {
			byOp[s.Method+" "+t] = append(byOp[s.Method+" "+t], s)
		}
	}
	for _, op := range ops {
		for _, s := range byOp[op.method+" "+op.path] {
			op.samples = append(op.samples, s.String())
		}
		if len(op.bodyFrom) == 0 {
			continue
		}
		for _, from := range op.bodyFrom {
			for _, s := range byOp[from] {
				if s.Body == nil {
					continue
				}
				var v any
				if err := json.Unmarshal(s.Body, &v); err != nil {
					return nil, fmt.Errorf("%s: %w", s, err)
				}
				op.body = union(op.body, shapeOf(v))
			}
		}
		if op.body == nil {
			return nil, fmt.Errorf("no sample body for %s %s in the release notes", op.method, op.path)
		}
		b := *op.body
		b.Required = op.bodyRequired
		op.body = &b
	}
	return ops, nil
}

func matchSeedOp(ops []*seedOp, method, path string) *seedOp {
	var paths []string
	for _, op := range ops {
		paths = append(paths, op.path)
	}
	t, _ := match(paths, path)
	for _, op := range ops {
		if op.path == t && op.method == method {
			return op
		}
	}
	if t != "" {
		return &seedOp{method: method, path: t, missing: true}
	}
	return nil
}

func (op *seedOp) check(r *http.Request, body []byte) error {
	where := fmt.Sprintf("%s %s in the release notes", op.method, op.path)
	if op.missing {
		return &Error{404, "the release notes have no " + where}
	}
	if err := unknownQueryOf(r, op.query, where); err != nil {
		return err
	}
	q := r.URL.Query()
	for _, p := range op.required {
		if q.Get(p) == "" {
			return &Error{400, fmt.Sprintf("%s does not allow this request: query parameter %q is required", where, p)}
		}
	}
	for _, p := range []string{"pageNumber", "pageSize"} {
		if v := q.Get(p); v != "" {
			if _, err := strconv.Atoi(v); err != nil {
				return &Error{400, fmt.Sprintf("%s does not allow this request: query parameter %q must be an integer, not %q", where, p, v)}
			}
		}
	}
	if op.body == nil {
		if len(body) > 0 {
			return &Error{400, where + " does not allow this request: it takes no body"}
		}
		return nil
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return &Error{400, where + " does not allow this request: the body is not JSON"}
	}
	if err := op.body.VisitJSON(v, openapi3.MultiErrors()); err != nil {
		return &Error{400, fmt.Sprintf("%s does not allow this request: %s", where, reason(openapi3.MultiError{&openapi3filter.RequestError{RequestBody: &openapi3.RequestBody{}, Err: err}}))}
	}
	return nil
}

// shapeOf is the schema a sample value shows: its type, and for objects
// and arrays what they hold; null says only that the field may be null.
func shapeOf(v any) *openapi3.Schema {
	switch x := v.(type) {
	case nil:
		return &openapi3.Schema{Nullable: true}
	case string:
		return openapi3.NewStringSchema()
	case bool:
		return openapi3.NewBoolSchema()
	case float64:
		if x == math.Trunc(x) {
			return openapi3.NewIntegerSchema()
		}
		return openapi3.NewFloat64Schema()
	case []any:
		s := openapi3.NewArraySchema()
		var items *openapi3.Schema
		for _, e := range x {
			items = union(items, shapeOf(e))
		}
		if items != nil {
			s.Items = openapi3.NewSchemaRef("", items)
		}
		return s
	case map[string]any:
		s := openapi3.NewObjectSchema()
		for k, e := range x {
			s.WithPropertyRef(k, openapi3.NewSchemaRef("", shapeOf(e)))
		}
		s.AdditionalProperties = openapi3.AdditionalProperties{Has: openapi3.Ptr(false)}
		return s
	}
	return &openapi3.Schema{}
}

// union is a schema that takes what a or b takes.
func union(a, b *openapi3.Schema) *openapi3.Schema {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	nullable := a.Nullable || b.Nullable
	switch {
	case a.Type == nil || a.Type.IsEmpty():
		c := *b
		c.Nullable = nullable
		return &c
	case b.Type == nil || b.Type.IsEmpty():
		c := *a
		c.Nullable = nullable
		return &c
	case !slices.Equal(a.Type.Slice(), b.Type.Slice()):
		if a.Type.Is(openapi3.TypeNumber) && b.Type.Is(openapi3.TypeInteger) || a.Type.Is(openapi3.TypeInteger) && b.Type.Is(openapi3.TypeNumber) {
			return &openapi3.Schema{Type: &openapi3.Types{openapi3.TypeNumber}, Nullable: nullable}
		}
		return &openapi3.Schema{Nullable: nullable} // two types: anything
	}
	c := *a
	c.Nullable = nullable
	switch {
	case a.Type.Is(openapi3.TypeArray):
		var ai, bi *openapi3.Schema
		if a.Items != nil {
			ai = a.Items.Value
		}
		if b.Items != nil {
			bi = b.Items.Value
		}
		if u := union(ai, bi); u != nil {
			c.Items = openapi3.NewSchemaRef("", u)
		}
	case a.Type.Is(openapi3.TypeObject):
		c.Properties = openapi3.Schemas{}
		for k, p := range a.Properties {
			c.Properties[k] = p
		}
		for k, p := range b.Properties {
			if q, ok := c.Properties[k]; ok {
				c.Properties[k] = openapi3.NewSchemaRef("", union(q.Value, p.Value))
			} else {
				c.Properties[k] = p
			}
		}
	}
	return &c
}
