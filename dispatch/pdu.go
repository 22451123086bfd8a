package dispatch

import (
	"errors"
	"strings"
	"sync/atomic"

	"github.com/linxGnu/gosmpp/data"
	"github.com/linxGnu/gosmpp/pdu"

	"smsgw/app"
)

// concatRef numbers concatenated messages; the UDH reference is 8 bits, so
// it wraps, which handsets expect.
var concatRef atomic.Uint32

// buildParts turns a message into its submit_sm PDUs: one, or several
// carrying a concatenation UDH. Splitting uses app.SplitText, which counts
// UTF-16 units and never cuts a surrogate pair, so parts agree with the
// segment count the caller was charged for. Every PDU has its own sequence
// number.
func buildParts(m *app.Message, source string) ([]*pdu.SubmitSM, error) {
	enc := data.Encoding(data.UCS2)
	if app.CountSegments(m.Content).Encoding == app.GSM7 {
		enc = data.GSM7BIT
	}
	texts := app.SplitText(m.Content)
	if len(texts) == 0 || len(texts) > 255 {
		return nil, errors.New("message has no text or too many parts")
	}
	ref := byte(concatRef.Add(1))
	out := make([]*pdu.SubmitSM, len(texts))
	for i, text := range texts {
		p := pdu.NewSubmitSM().(*pdu.SubmitSM)
		src, err := pdu.NewAddressWithTonNpiAddr(0, 0, source+m.Ext)
		if err != nil {
			return nil, err
		}
		dst, err := pdu.NewAddressWithTonNpiAddr(0, 1, m.To)
		if err != nil {
			return nil, err
		}
		p.SourceAddr, p.DestAddr = src, dst
		p.RegisteredDelivery = 1
		if err := p.Message.SetMessageWithEncoding(text, enc); err != nil {
			return nil, err
		}
		if len(texts) > 1 {
			p.EsmClass |= data.SM_UDH_GSM
			p.Message.SetUDH(pdu.UDH{pdu.NewIEConcatMessage(byte(len(texts)), byte(i+1), ref)})
		}
		// NewSubmitSM already gave each PDU its own sequence number; assign
		// again to be explicit, as gosmpp's Split gives all parts the same.
		p.AssignSequenceNumber()
		out[i] = p
	}
	return out, nil
}

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

// moPart is one deliver_sm of a reply: the whole reply, or one part of a
// concatenated one.
type moPart struct {
	from, to   string
	text       string
	ref        int
	total, seq int
}

// parseMO reads a reply (mobile-originated message), with its concatenation
// info from the UDH or the SAR TLVs.
func parseMO(p *pdu.DeliverSM) (moPart, error) {
	m := moPart{from: p.SourceAddr.Address(), to: p.DestAddr.Address(), total: 1, seq: 1}
	if n, err := app.NormalizeNumber(m.from); err == nil {
		m.from = n
	}
	raw, err := p.Message.GetMessageData()
	if err != nil {
		return m, err
	}
	enc := p.Message.Encoding()
	if len(raw) == 0 {
		if f, ok := p.OptionalParameters[pdu.TagMessagePayload]; ok {
			raw = f.Data
		}
	}
	if enc == nil {
		enc = data.GSM7BIT
	}
	if m.text, err = enc.Decode(raw); err != nil {
		return m, err
	}
	if total, seq, ref, ok := p.Message.UDH().GetConcatInfo(); ok && total > 1 {
		m.total, m.seq, m.ref = int(total), int(seq), int(ref)
	} else if f, ok := p.OptionalParameters[pdu.TagSarTotalSegments]; ok && len(f.Data) == 1 && f.Data[0] > 1 {
		m.total = int(f.Data[0])
		if s, ok := p.OptionalParameters[pdu.TagSarSegmentSeqnum]; ok && len(s.Data) == 1 {
			m.seq = int(s.Data[0])
		}
		if r, ok := p.OptionalParameters[pdu.TagSarMsgRefNum]; ok && len(r.Data) == 2 {
			m.ref = int(r.Data[0])<<8 | int(r.Data[1])
		}
	}
	if m.seq < 1 || m.seq > m.total {
		return m, errors.New("reply part number out of range")
	}
	return m, nil
}
