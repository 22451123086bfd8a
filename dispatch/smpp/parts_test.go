package smpp

import (
	"strings"
	"testing"

	"github.com/linxGnu/gosmpp/data"

	"smsgw/app"
)

func TestParts(t *testing.T) {
	m := &app.Message{To: "13800138000", Ext: "12", Content: "【单位】" + strings.Repeat("长", 200)}
	parts, err := Parts(m, Addressing{Source: "10690001", DestNPI: 1}, NewConcat())
	if err != nil {
		t.Fatal(err)
	}
	if len(parts) != app.CountSegments(m.Content).Count {
		t.Fatalf("%d parts, want %d", len(parts), app.CountSegments(m.Content).Count)
	}
	seqs := map[int32]bool{}
	for i, part := range parts {
		p := part.p
		seqs[part.Seq()] = true
		total, seq, _, ok := p.Message.UDH().GetConcatInfo()
		if !ok || int(total) != len(parts) || int(seq) != i+1 || p.EsmClass&data.SM_UDH_GSM == 0 {
			t.Errorf("part %d: UDH total %d seq %d ok %v", i, total, seq, ok)
		}
		if p.SourceAddr.Address() != "1069000112" || p.RegisteredDelivery != 1 {
			t.Errorf("part %d: source %q, registered delivery %d", i, p.SourceAddr.Address(), p.RegisteredDelivery)
		}
	}
	if len(seqs) != len(parts) {
		t.Errorf("parts share sequence numbers: %d distinct for %d parts", len(seqs), len(parts))
	}
}
