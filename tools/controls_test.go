package tools_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/sandbox"
)

func TestControls(t *testing.T) {
	e := NewEnv(t, EnvOptions{})
	var raw struct {
		Count int               `json:"count"`
		Data  []sandbox.Control `json:"data"`
	}
	if err := json.Unmarshal(invRaw(t, e, "/controls?pageSize=1000"), &raw); err != nil {
		t.Fatal(err)
	}
	m := e.OK("list_controls", map[string]any{"pageSize": 1000})
	if invNum(m["count"]) != raw.Count || len(Items(m)) != len(raw.Data) || raw.Count < 20 {
		t.Fatalf("count %v, want %d", m["count"], raw.Count)
	}
	for i, it := range Items(m) {
		c := raw.Data[i]
		if invNum(it["id"]) != c.ID || it["statement"] != c.Statement || it["criticality"] != c.Criticality || it["technologies"] != nil {
			t.Errorf("item %v, control %+v", it, c)
		}
		if it["deprecated"] != nil {
			t.Errorf("deprecated false is dropped: %v", it)
		}
	}
	urgent := 0
	for _, c := range raw.Data {
		if c.Criticality == "URGENT" {
			urgent++
		}
	}
	if got := e.OK("list_controls", map[string]any{"filter": "criticality:`URGENT`"}); invNum(got["count"]) != urgent {
		t.Errorf("URGENT: %v, want %d", got["count"], urgent)
	}
	if got := e.OK("list_controls", map[string]any{"filter": "statement:privileged", "fields": []string{"technologies"}}); invNum(got["count"]) == 0 || Items(got)[0]["technologies"] == nil {
		t.Errorf("statement:privileged with technologies: %v", got)
	}

	c := raw.Data[3]
	g := e.OK("get_control", map[string]any{"controlId": c.ID})
	tech := g["technologies"].([]any)[0].(map[string]any)
	if invNum(g["id"]) != c.ID || tech["remediation"] != c.Technologies[0].Remediation {
		t.Errorf("get_control: %v", g)
	}
	if last := e.SB.Requests()[len(e.SB.Requests())-1]; last.Path != "/controls/"+strconv.Itoa(c.ID) {
		t.Errorf("path %s", last.Path)
	}
	if msg := e.Fail("get_control", map[string]any{"controlId": 1}); !strings.Contains(msg, "not found") {
		t.Errorf("unknown control: %s", msg)
	}
	invRefused(t, e, "get_control", map[string]any{"controlId": "19376"}, "controlId")
	invRefused(t, e, "get_control", map[string]any{"controlId": 0}, "controlId")
	invRefused(t, e, "list_controls", map[string]any{"pageNumber": 0}, "pageNumber")
}
