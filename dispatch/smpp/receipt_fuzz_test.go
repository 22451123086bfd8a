package smpp

import (
	"strings"
	"testing"

	"github.com/linxGnu/gosmpp/data"
	"github.com/linxGnu/gosmpp/pdu"
)

// FuzzReceipt reads delivery receipts as a hostile or broken SMSC may send
// them: any esm_class, any bytes as the "id:... stat:..." text, any
// receipted_message_id and message_state TLVs. Only esm_class 0x04 or 0x08
// makes a receipt; its id is the TLV's or the text's, whole and without
// spaces; its status is upper case without spaces, from the text or else
// the TLV. A well-formed receipt text gives back its fields.
func FuzzReceipt(f *testing.F) {
	f.Add(byte(0x04), []byte("id:ABC123 sub:001 dlvrd:001 submit date:2611281200 done date:2611281201 stat:DELIVRD err:000 text:hello"), []byte(nil), byte(0), "ABC123", "DELIVRD", "000")
	f.Add(byte(0x08), []byte("ID:7 STAT:undeliv ERR:013"), []byte("TLV-ID\x00"), byte(5), "x", "UNDELIV", "013")
	f.Add(byte(0x04), []byte("text:\xff\xfe\x00\xc4\xb0 stat: err:"), []byte("\x00\x00"), byte(2), "", "", "")
	f.Add(byte(0x00), []byte("id:1 stat:DELIVRD"), []byte("1"), byte(2), "1", "DELIVRD", "0")
	f.Add(byte(0x3C), []byte("id:id:id: stat:stat:"), []byte(nil), byte(9), "a b", "s:t", "e\x00")
	f.Fuzz(func(t *testing.T, esm byte, text, tlvID []byte, state byte, id, stat, errc string) {
		d := deliverReceipt(esm, text, tlvID, state)
		if d == nil {
			return
		}
		r, ok := parseReceipt(d)
		receipt := esm&0x3C == 0x04 || esm&0x3C == 0x08
		if !receipt {
			if ok {
				t.Fatalf("esm_class %#x read as a receipt: %+v", esm, r)
			}
			return
		}
		if ok {
			tlv := strings.TrimRight(string(tlvID), "\x00")
			switch {
			case r.SMSCID == "":
				t.Fatalf("a receipt without an id: %+v", r)
			case tlvID != nil && tlv != "" && r.SMSCID != tlv:
				t.Fatalf("id %q, want the TLV's %q", r.SMSCID, tlv)
			case (tlvID == nil || tlv == "") && (strings.Contains(r.SMSCID, " ") || !strings.Contains(string(text), r.SMSCID)):
				t.Fatalf("id %q is not a word of the text %q", r.SMSCID, text)
			}
			if strings.ContainsRune(r.Stat, ' ') || strings.ToUpper(r.Stat) != r.Stat || strings.ContainsRune(r.Err, ' ') {
				t.Fatalf("receipt %+v", r)
			}
			if receiptField(string(text), "stat:") == "" && state != 0 && r.Stat != messageState(state) {
				t.Fatalf("stat %q, want the TLV's %q", r.Stat, messageState(state))
			}
		}

		// A well-formed text gives back its fields.
		id, stat, errc = word(id), word(stat), word(errc)
		if id == "" {
			return
		}
		text = []byte("id:" + id + " sub:001 dlvrd:001 submit date:2611281200 done date:2611281201 stat:" + stat + " err:" + errc + " text:" + string(text))
		if d = deliverReceipt(esm, text, nil, 0); d == nil {
			return
		}
		r, ok = parseReceipt(d)
		if !ok || r.SMSCID != id || r.Stat != strings.ToUpper(stat) || r.Err != errc {
			t.Fatalf("%q read as %+v (ok %v)", text, r, ok)
		}
	})
}

// deliverReceipt builds the deliver_sm; nil when the text is too long to
// be a short message (the SMSC could not send it either).
func deliverReceipt(esm byte, text, tlvID []byte, state byte) *pdu.DeliverSM {
	d := pdu.NewDeliverSM().(*pdu.DeliverSM)
	d.EsmClass = esm
	if err := d.Message.SetMessageDataWithEncoding(text, data.GSM7BIT); err != nil {
		return nil
	}
	if tlvID != nil {
		d.RegisterOptionalParam(pdu.Field{Tag: pdu.TagReceiptedMessageID, Data: tlvID})
	}
	if state != 0 {
		d.RegisterOptionalParam(pdu.Field{Tag: pdu.TagMessageStateOption, Data: []byte{state}})
	}
	return d
}

// word keeps the ASCII letters and digits of s, at most 20: the fields
// of a receipt text.
func word(s string) string {
	var b strings.Builder
	for i := 0; i < len(s) && b.Len() < 20; i++ {
		if c := s[i]; 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' {
			b.WriteByte(c)
		}
	}
	return b.String()
}
