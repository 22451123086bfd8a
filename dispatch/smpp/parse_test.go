package smpp

import (
	"strings"
	"testing"

	"github.com/linxGnu/gosmpp/data"
	"github.com/linxGnu/gosmpp/pdu"

	"smsgw/app"
)

func TestReceiptField(t *testing.T) {
	text := "id:ABC123 sub:001 dlvrd:001 submit date:2611281200 done date:2611281201 stat:DELIVRD err:000 text:hello"
	for key, want := range map[string]string{"id:": "ABC123", "stat:": "DELIVRD", "err:": "000", "nope:": ""} {
		if got := receiptField(text, key); got != want {
			t.Errorf("%s: got %q, want %q", key, got, want)
		}
	}
	if got := receiptField("ID:x STAT:undeliv", "stat:"); got != "undeliv" {
		t.Errorf("upper-case keys: got %q", got)
	}
	// Raw bytes (a UCS2 text field, invalid UTF-8) before the keys once
	// shifted the search and panicked on the read goroutine.
	odd := "id:7 text:\xff\xfe\x00\xc4\xb0\xc4\xb0\xc4\xb0 stat:UNDELIV err:001"
	if got := receiptField(odd, "err:"); got != "001" {
		t.Errorf("after raw bytes: got %q", got)
	}
}

func FuzzReceiptField(f *testing.F) {
	f.Add("id:1 stat:DELIVRD err:000", "stat:")
	f.Add("\xff\xc4\xb0STAT:x", "stat:")
	f.Fuzz(func(t *testing.T, text, key string) {
		key = strings.ToLower(key)
		if key == "" {
			return
		}
		v := receiptField(text, key)
		if !strings.Contains(text, v) {
			t.Fatalf("value %q is not part of the text", v)
		}
	})
}

func TestParseReceipt(t *testing.T) {
	p := pdu.NewDeliverSM().(*pdu.DeliverSM)
	p.EsmClass = 0x04
	if err := p.Message.SetMessageWithEncoding("id:XYZ sub:001 dlvrd:000 stat:UNDELIV err:013", data.GSM7BIT); err != nil {
		t.Fatal(err)
	}
	r, ok := parseReceipt(p)
	if !ok || r.SMSCID != "XYZ" || r.Stat != "UNDELIV" || r.Err != "013" {
		t.Fatalf("receipt %+v ok %v", r, ok)
	}
	p.RegisterOptionalParam(pdu.Field{Tag: pdu.TagReceiptedMessageID, Data: []byte("TLV-ID\x00")})
	if r, _ := parseReceipt(p); r.SMSCID != "TLV-ID" {
		t.Errorf("the receipted_message_id TLV must win over the text: %q", r.SMSCID)
	}
	mo := pdu.NewDeliverSM().(*pdu.DeliverSM)
	if _, ok := parseReceipt(mo); ok {
		t.Error("a plain deliver_sm (a reply) was read as a receipt")
	}
}

func TestBuildParts(t *testing.T) {
	m := &app.Message{To: "13800138000", Ext: "12", Content: "【单位】" + strings.Repeat("长", 200)}
	parts, err := Parts(m, "10690001")
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
