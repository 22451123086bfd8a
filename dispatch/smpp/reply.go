package smpp

import (
	"errors"
	"strings"
	"time"

	"github.com/linxGnu/gosmpp/data"
	"github.com/linxGnu/gosmpp/pdu"

	"smsgw/app"
)

// ReplyPart is one deliver_sm of a reply (mobile-originated message): the
// whole reply, or one part of a concatenated one. Joining the parts is the
// engine's work, as they may arrive over different sessions.
type ReplyPart struct {
	From, To string // From is normalised when it reads as a number
	Text     string
	Ref      int       // the concatenation reference, 0 for a whole reply
	Total    int       // parts in the reply, 1 for a whole one
	Seq      int       // this part's number, from 1
	At       time.Time // when the session received it
}

// parseReply reads a reply, with its concatenation info from the UDH or the
// SAR TLVs.
func parseReply(p *pdu.DeliverSM) (ReplyPart, error) {
	// Addresses and text are kept as valid UTF-8 (bad bytes as U+FFFD): an
	// SMSC may send any bytes, and gosmpp's ASCII data_coding passes them
	// through undecoded, to be stored, shown and exported.
	m := ReplyPart{From: strings.ToValidUTF8(p.SourceAddr.Address(), "\uFFFD"), To: strings.ToValidUTF8(p.DestAddr.Address(), "\uFFFD"), Total: 1, Seq: 1}
	if n, err := app.NormalizeNumber(m.From); err == nil {
		m.From = n
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
	if m.Text, err = enc.Decode(raw); err != nil {
		return m, err
	}
	m.Text = strings.ToValidUTF8(m.Text, "\uFFFD")
	if total, seq, ref, ok := p.Message.UDH().GetConcatInfo(); ok && total > 1 {
		m.Total, m.Seq, m.Ref = int(total), int(seq), int(ref)
	} else if f, ok := p.OptionalParameters[pdu.TagSarTotalSegments]; ok && len(f.Data) == 1 && f.Data[0] > 1 {
		m.Total = int(f.Data[0])
		if s, ok := p.OptionalParameters[pdu.TagSarSegmentSeqnum]; ok && len(s.Data) == 1 {
			m.Seq = int(s.Data[0])
		}
		if r, ok := p.OptionalParameters[pdu.TagSarMsgRefNum]; ok && len(r.Data) == 2 {
			m.Ref = int(r.Data[0])<<8 | int(r.Data[1])
		}
	}
	if m.Seq < 1 || m.Seq > m.Total {
		return m, errors.New("reply part number out of range")
	}
	return m, nil
}
