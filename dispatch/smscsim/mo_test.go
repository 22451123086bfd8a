package smscsim

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/linxGnu/gosmpp/data"
	"github.com/linxGnu/gosmpp/pdu"
)

func TestInjectMO(t *testing.T) {
	t.Run("FailsWithoutAReceiver", func(t *testing.T) {
		s := startServer(t, Options{})
		if err := s.InjectMO("13800138000", "10690001", "TD"); !errors.Is(err, ErrNoReceiver) {
			t.Fatalf("err = %v, want ErrNoReceiver", err)
		}
		c := dial(t, s.Addr())
		c.mustBind(pdu.Transmitter)
		if err := s.InjectMO("13800138000", "10690001", "TD"); !errors.Is(err, ErrNoReceiver) {
			t.Fatalf("with a transmitter bound: err = %v, want ErrNoReceiver", err)
		}
	})

	t.Run("RejectsLongAddresses", func(t *testing.T) {
		s := startServer(t, Options{})
		if err := s.InjectMO(strings.Repeat("1", 30), "1", "x"); err == nil || errors.Is(err, ErrNoReceiver) {
			t.Fatalf("err = %v", err)
		}
	})

	for _, tc := range []struct {
		name, text string
		dc         byte
	}{
		{"SendsShortASCIIAsGSM", "TD {stop}", data.GSM7BITCoding},
		{"SendsShortChineseAsUCS2", "退订", data.UCS2Coding},
		{"SendsASCIIOutsideGSMAsUCS2", "back`tick", data.UCS2Coding},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startServer(t, Options{})
			c := dial(t, s.Addr())
			c.mustBind(pdu.Receiver)
			if err := s.InjectMO("13800138000", "10690001", tc.text); err != nil {
				t.Fatal(err)
			}
			d := c.deliverSM()
			if d.EsmClass != 0 || d.SourceAddr.Address() != "13800138000" || d.DestAddr.Address() != "10690001" {
				t.Errorf("deliver_sm esm %#x %s -> %s", d.EsmClass, d.SourceAddr.Address(), d.DestAddr.Address())
			}
			if dc := d.Message.Encoding().DataCoding(); dc != tc.dc {
				t.Errorf("data_coding %#x, want %#x", dc, tc.dc)
			}
			if got := messageText(t, d); got != tc.text {
				t.Errorf("text %q, want %q", got, tc.text)
			}
			waitFor(t, "MO acknowledged", func() bool { return s.Stats().MOSent == 1 })
		})
	}

	t.Run("SendsLongTextAsParts", func(t *testing.T) {
		s := startServer(t, Options{})
		c := dial(t, s.Addr())
		c.mustBind(pdu.Transceiver)
		// 66 units, then an emoji that would straddle the 67-unit cut.
		text := strings.Repeat("好", 66) + "😀" + strings.Repeat("b", 80)
		if err := s.InjectMO("13800138000", "10690001", text); err != nil {
			t.Fatal(err)
		}
		var got strings.Builder
		var ref byte
		for i := 1; i <= 3; i++ {
			d := c.deliverSM()
			if d.EsmClass != data.SM_UDH_GSM {
				t.Fatalf("part %d esm_class %#x", i, d.EsmClass)
			}
			total, seq, r, ok := d.Message.UDH().GetConcatInfo()
			if !ok || total != 3 || int(seq) != i || (i > 1 && r != ref) {
				t.Fatalf("part %d UDH: total %d seq %d ref %d", i, total, seq, r)
			}
			ref = r
			raw, _ := d.Message.GetMessageData()
			if len(raw) > 2*ucs2Part {
				t.Fatalf("part %d has %d bytes", i, len(raw))
			}
			if u := utf16.Decode(units(raw)); strings.ContainsRune(string(u), '\uFFFD') {
				t.Fatalf("part %d splits a surrogate pair", i)
			}
			got.WriteString(messageText(t, d))
		}
		if got.String() != text {
			t.Fatalf("reassembled %q", got.String())
		}
		waitFor(t, "parts acknowledged", func() bool { return s.Stats().MOSent == 3 })
	})

	t.Run("WaitsForARebindWhenDropped", func(t *testing.T) {
		s := startServer(t, Options{})
		c := dial(t, s.Addr())
		c.ack.Store(false)
		c.mustBind(pdu.Transceiver)
		if err := s.InjectMO("1", "2", "hello"); err != nil {
			t.Fatal(err)
		}
		c.deliverSM()
		s.DropConnections()
		c.waitClosed()
		again := dial(t, s.Addr())
		again.mustBind(pdu.Receiver)
		if got := messageText(t, again.deliverSM()); got != "hello" {
			t.Fatalf("got %q", got)
		}
		waitFor(t, "MO acknowledged", func() bool { return s.Stats().MOSent == 1 })
	})
}

// TestSendMO pins how a test sends some parts of an MO, and the same PDUs
// again as an SMSC does with deliver_sm it got no answer to.
func TestSendMO(t *testing.T) {
	s := startServer(t, Options{})
	c := dial(t, s.Addr())
	c.mustBind(pdu.Transceiver)
	mo, err := s.NewMO("13800138000", "10690001", strings.Repeat("好", 100))
	if err != nil || mo.Parts() != 2 {
		t.Fatalf("%d parts, %v; want 2", mo.Parts(), err)
	}
	if err := s.SendMO(mo, 3); err == nil {
		t.Fatal("sent a part the MO does not have")
	}
	seqs := map[int32]bool{}
	for _, parts := range [][]int{{2}, nil} {
		if err := s.SendMO(mo, parts...); err != nil {
			t.Fatal(err)
		}
	}
	var got []int
	var refs []byte
	for range 3 {
		d := c.deliverSM()
		_, seq, ref, _ := d.Message.UDH().GetConcatInfo()
		got, refs = append(got, int(seq)), append(refs, ref)
		seqs[d.SequenceNumber] = true
	}
	if got[0] != 2 || got[1] != 1 || got[2] != 2 || refs[0] != refs[1] || refs[1] != refs[2] || len(seqs) != 3 {
		t.Fatalf("parts %v refs %v, %d sequence numbers: want 2, 1, 2 under one reference, each its own number", got, refs, len(seqs))
	}
	waitFor(t, "parts acknowledged", func() bool { return s.Stats().MOSent == 3 })
}

func units(b []byte) []uint16 {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
	}
	return u
}

func TestSplitMO(t *testing.T) {
	for _, tc := range []struct {
		name  string
		text  string
		ucs2  bool
		sizes []int // bytes per part
	}{
		{"EmptyIsOnePart", "", false, []int{0}},
		{"160GSMIsOnePart", strings.Repeat("a", 160), false, []int{160}},
		{"161GSMIsTwoParts", strings.Repeat("a", 161), false, []int{153, 8}},
		{"EscapeIsNotCut", strings.Repeat("a", 152) + "{" + strings.Repeat("a", 10), false, []int{152, 12}},
		{"70UCS2IsOnePart", strings.Repeat("中", 70), true, []int{140}},
		{"71UCS2IsTwoParts", strings.Repeat("中", 71), true, []int{134, 8}},
		{"SurrogatePairIsNotCut", strings.Repeat("中", 66) + "😀" + strings.Repeat("中", 10), true, []int{132, 24}},
		{"EmojiCountsTwoUnits", strings.Repeat("😀", 35), true, []int{140}},
		{"EmojiOverflowSplits", strings.Repeat("😀", 36), true, []int{132, 12}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			isUCS2, parts := splitMO(tc.text)
			if isUCS2 != tc.ucs2 {
				t.Fatalf("ucs2 = %v", isUCS2)
			}
			var sizes []int
			for _, p := range parts {
				sizes = append(sizes, len(p))
			}
			if len(sizes) != len(tc.sizes) {
				t.Fatalf("sizes %v, want %v", sizes, tc.sizes)
			}
			for i := range sizes {
				if sizes[i] != tc.sizes[i] {
					t.Fatalf("sizes %v, want %v", sizes, tc.sizes)
				}
			}
		})
	}
}
