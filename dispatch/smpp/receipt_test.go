package smpp

import (
	"strings"
	"testing"

	"github.com/linxGnu/gosmpp/data"
	"github.com/linxGnu/gosmpp/pdu"
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
