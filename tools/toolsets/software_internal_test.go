package toolsets

import (
	"fmt"
	"testing"

	json "github.com/segmentio/encoding/json"
)

// A package's vulnerabilities read both ways Qualys answers them: the
// 2021 list of {qid, severity, ...} and the 2026 sample's counts by
// severity; vulnerableOnly keeps a package with either.
func TestSoftwareVulnerabilitiesBothShapes(t *testing.T) {
	var counts, list any
	json.Unmarshal([]byte(`{"severity5Count":0,"severity4Count":1,"severity3Count":1,"severity2Count":1,"severity1Count":0}`), &counts)
	json.Unmarshal([]byte(`[{"qid":376187,"severity":5,"title":"Log4Shell"},{"qid":1,"severity":2}]`), &list)
	if got := fmt.Sprint(qidSeverities(counts)); got != "map[sev2:1 sev3:1 sev4:1]" {
		t.Errorf("counts shown as %s", got)
	}
	if got := fmt.Sprint(qidSeverities(list)); got != "[map[qid:376187 severity:5] map[qid:1 severity:2]]" {
		t.Errorf("list shown as %s", got)
	}
	var none any
	json.Unmarshal([]byte(`{"severity5Count":0,"severity4Count":0,"severity3Count":0,"severity2Count":0,"severity1Count":0}`), &none)
	for v, want := range map[*any]int{&counts: 3, &list: 2, &none: 0} {
		if n := vulnTotal(*v); n != want {
			t.Errorf("vulnTotal(%v) = %d, want %d", *v, n, want)
		}
	}
}
