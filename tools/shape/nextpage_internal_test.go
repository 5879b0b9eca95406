package shape

import "testing"

// Every offset below the cap has a next page, for every page size: one
// the API takes (page × size ≤ 10,000), of at most the size asked, that
// holds the offset's record; and a page that ends at the cap has none.
func TestNextPageReachesEveryRecord(t *testing.T) {
	for _, want := range []int{1, 7, 50, 173, 337, 999, 1000} {
		for offset := 0; offset < pageCap; offset++ {
			page, size, shown, ok := nextPage(offset, want)
			start := (page - 1) * size
			if !ok || size < 1 || size > want || page*size > pageCap || start+shown != offset || shown < 0 || shown >= size {
				t.Fatalf("nextPage(%d, %d) = page %d, size %d, shown %d, %v", offset, want, page, size, shown, ok)
			}
		}
		if _, _, _, ok := nextPage(pageCap, want); ok {
			t.Errorf("nextPage(%d, %d): a page past the cap", pageCap, want)
		}
	}
}
