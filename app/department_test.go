package app

import "testing"

// TestExtensionCodeRules (issue 14, item 5): codes are prefix-free, a
// send's extension may begin only with its own department's codes, and a
// reply goes to the longest code, to nobody when two departments share it.
func TestExtensionCodeRules(t *testing.T) {
	codes := []ExtCode{{"2", 2, "一处"}, {"21", 4, "二处"}, {"77", 2, "一处"}, {"77", 4, "二处"}, {"9", 2, "一处"}, {"95", 2, "一处"}}

	for _, c := range []struct {
		ext   string
		clash bool
	}{{"2", true}, {"21", true}, {"210", true}, {"3", false}, {"", false}, {"7", true}, {"8", false}} {
		if got := ExtClash(c.ext, codes) != nil; got != c.clash {
			t.Errorf("ExtClash(%q) = %v, want %v", c.ext, got, c.clash)
		}
	}
	for _, c := range []struct {
		full string
		dept int64
		ok   bool
	}{{"21", 2, false}, {"215", 2, false}, {"215", 4, false}, {"29", 2, true}, {"21", 1, false}, {"88", 1, true}, {"951", 2, true}} {
		if err := SendExtAllowed(c.full, c.dept, codes); (err == nil) != c.ok {
			t.Errorf("SendExtAllowed(%q, %d) = %v, want ok %v", c.full, c.dept, err, c.ok)
		}
	}
	for _, c := range []struct {
		ext  string
		want int64
	}{{"215", 4}, {"29", 2}, {"2", 2}, {"771", 0}, {"3", 0}, {"951", 2}} {
		if got := ExtOwner(c.ext, codes); got != c.want {
			t.Errorf("ExtOwner(%q) = %d, want %d", c.ext, got, c.want)
		}
	}
}
