package smscsim

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/linxGnu/gosmpp/data"
	"github.com/linxGnu/gosmpp/pdu"
)

// Receipt statuses that Options.ReceiptStatus may return.
const (
	statDelivered   = "DELIVRD"
	statUndelivered = "UNDELIV"
	statRejected    = "REJECTD"
	statExpired     = "EXPIRED"
)

// receiptCodes returns the err: code and the message_state TLV value
// (SMPP 3.4 section 5.2.28) of a receipt status; ok is false for an
// unknown status.
func receiptCodes(stat string) (errCode string, state byte, ok bool) {
	switch stat {
	case statDelivered:
		return "000", data.SM_STATE_DELIVERED, true
	case statUndelivered:
		return "001", data.SM_STATE_UNDELIVERABLE, true
	case statRejected:
		return "002", data.SM_STATE_REJECTED, true
	case statExpired:
		return "003", data.SM_STATE_EXPIRED, true
	}
	return "", 0, false
}

// receiptJob is everything needed to build one receipt when it falls due.
type receiptJob struct {
	id       string
	src, dst pdu.Address // of the receipt: the submit's dest and source
	stat     string
	text     string // the part's text, already cut and made safe
	submit   time.Time
	systemID string
	origin   *session
}

// receiptStatus decides the status of a part's receipt: the hook first,
// then the undelivered ratio.
func (c *session) receiptStatus(cfg *config, sub Submitted) string {
	if cfg.ReceiptStatus != nil {
		st := cfg.ReceiptStatus(sub)
		if _, _, ok := receiptCodes(st); ok {
			return st
		}
		if st != "" {
			c.log.Warn("smscsim ReceiptStatus returned an unknown status", "status", st)
		}
	}
	if cfg.UndeliveredRatio > 0 && c.rng.Float64() < cfg.UndeliveredRatio {
		return statUndelivered
	}
	return statDelivered
}

// wantsReceipt applies registered_delivery bits 0-1: 1 (and the reserved
// 3) asks for every receipt, 2 only for failures.
func wantsReceipt(registered byte, stat string) bool {
	switch registered & 0x03 {
	case 1, 3:
		return true
	case 2:
		return stat != statDelivered
	}
	return false
}

// delivery builds the receipt deliver_sm, done at now, in the SMPP 3.4
// Appendix B format, with the receipted_message_id and message_state TLVs.
func (j *receiptJob) delivery(now time.Time) *delivery {
	errCode, state, _ := receiptCodes(j.stat)
	dlvrd := "000"
	if j.stat == statDelivered {
		dlvrd = "001"
	}
	const layout = "0601021504"
	var b strings.Builder
	b.Grow(160)
	b.WriteString("id:")
	b.WriteString(j.id)
	b.WriteString(" sub:001 dlvrd:")
	b.WriteString(dlvrd)
	b.WriteString(" submit date:")
	b.WriteString(j.submit.Format(layout))
	b.WriteString(" done date:")
	b.WriteString(now.Format(layout))
	b.WriteString(" stat:")
	b.WriteString(j.stat)
	b.WriteString(" err:")
	b.WriteString(errCode)
	b.WriteString(" text:")
	b.WriteString(j.text)

	p := pdu.NewDeliverSM().(*pdu.DeliverSM)
	p.SourceAddr = j.src
	p.DestAddr = j.dst
	p.EsmClass = data.SM_SMSC_DLV_RCPT_TYPE
	// The text is plain ASCII that reads the same in GSM 7-bit, so it is
	// sent as is with data_coding 0.
	_ = p.Message.SetMessageDataWithEncoding([]byte(b.String()), data.GSM7BIT)
	p.RegisterOptionalParam(pdu.Field{Tag: pdu.TagReceiptedMessageID, Data: append([]byte(j.id), 0)})
	p.RegisterOptionalParam(pdu.Field{Tag: pdu.TagMessageStateOption, Data: []byte{state}})
	return &delivery{
		raw:      marshal(p, data.ESME_ROK),
		receipt:  true,
		systemID: j.systemID,
		origin:   j.origin,
	}
}

// receiptText returns the first 20 characters of a part's text for the
// receipt's text: field. Characters that do not read the same in ASCII and
// in the GSM 7-bit default alphabet become '?', so that a client decoding
// data_coding 0 either way sees the same receipt.
func receiptText(s string) string {
	var b strings.Builder
	for i := 0; i < 20 && s != ""; i++ {
		r, size := utf8.DecodeRuneInString(s)
		s = s[size:]
		if gsmASCII(r) {
			b.WriteRune(r)
		} else {
			b.WriteByte('?')
		}
	}
	return b.String()
}

// gsmASCII reports whether r has the same code in ASCII and in the GSM
// 7-bit default alphabet.
func gsmASCII(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return true
	}
	return strings.ContainsRune(" !\"#%&'()*+,-./:;<=>?", r)
}
