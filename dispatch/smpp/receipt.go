package smpp

import (
	"strings"

	"github.com/linxGnu/gosmpp/data"
	"github.com/linxGnu/gosmpp/pdu"

	"smsgw/app"
)

// parseReceipt reads a delivery receipt, if p is one: esm_class says so, the
// SMSC's message id comes from the receipted_message_id TLV or the
// "id:... stat:... err:..." text.
func parseReceipt(p *pdu.DeliverSM) (app.Receipt, bool) {
	if p.EsmClass&0x3C != 0x04 && p.EsmClass&0x3C != 0x08 {
		return app.Receipt{}, false
	}
	var r app.Receipt
	text, _ := p.Message.GetMessageWithEncoding(data.GSM7BIT)
	if raw, err := p.Message.GetMessageData(); err == nil {
		text = string(raw) // receipt texts are ASCII; read them as bytes
	}
	r.SMSCID = receiptField(text, "id:")
	r.Stat = strings.ToUpper(receiptField(text, "stat:"))
	r.Err = receiptField(text, "err:")
	if f, ok := p.OptionalParameters[pdu.TagReceiptedMessageID]; ok {
		if id := strings.TrimRight(string(f.Data), "\x00"); id != "" {
			r.SMSCID = id
		}
	}
	if r.Stat == "" {
		if f, ok := p.OptionalParameters[pdu.TagMessageStateOption]; ok && len(f.Data) == 1 {
			r.Stat = messageState(f.Data[0])
		}
	}
	if r.SMSCID == "" {
		return app.Receipt{}, false
	}
	return r, true
}

// receiptField returns the value after key (lower case ASCII) in a receipt
// text, up to the next space. The search ignores ASCII case and works on
// the raw bytes, so odd bytes elsewhere in the text cannot shift it.
func receiptField(text, key string) string {
	for i := 0; i+len(key) <= len(text); i++ {
		if !asciiEqualFold(text[i:i+len(key)], key) {
			continue
		}
		v := text[i+len(key):]
		if j := strings.IndexByte(v, ' '); j >= 0 {
			v = v[:j]
		}
		return v
	}
	return ""
}

func asciiEqualFold(s, lower string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// messageState maps the message_state TLV to the receipt text's stat words.
func messageState(s byte) string {
	switch s {
	case 1:
		return "ENROUTE"
	case 2:
		return "DELIVRD"
	case 3:
		return "EXPIRED"
	case 4:
		return "DELETED"
	case 5:
		return "UNDELIV"
	case 6:
		return "ACCEPTD"
	case 8:
		return "REJECTD"
	}
	return "UNKNOWN"
}
