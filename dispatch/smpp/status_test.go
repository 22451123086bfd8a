package smpp

import "testing"

func TestStatusClasses(t *testing.T) {
	for _, c := range []struct {
		st                       Status
		ok, throttled, transient bool
		code                     string
	}{
		{0x00, true, false, false, "SMPP_0x00"},
		{0x58, false, true, true, "SMPP_0x58"},   // throttled: retried, and the rate drops
		{0x14, false, false, true, "SMPP_0x14"},  // message queue full
		{0x08, false, false, true, "SMPP_0x08"},  // system error
		{0x45, false, false, true, "SMPP_0x45"},  // submit failed
		{0x64, false, false, true, "SMPP_0x64"},  // temporary application error
		{0x0B, false, false, false, "SMPP_0x0B"}, // invalid destination: failed for good
	} {
		if c.st.OK() != c.ok || c.st.Throttled() != c.throttled || c.st.Transient() != c.transient || c.st.Code() != c.code {
			t.Errorf("status %#x: ok %v throttled %v transient %v code %q", uint32(c.st), c.st.OK(), c.st.Throttled(), c.st.Transient(), c.st.Code())
		}
	}
}
