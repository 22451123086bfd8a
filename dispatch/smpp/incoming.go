package smpp

import (
	"fmt"
	"sync/atomic"
	"time"

	"github.com/linxGnu/gosmpp"
	"github.com/linxGnu/gosmpp/data"
	"github.com/linxGnu/gosmpp/pdu"
)

// link is one connection's session, noted once its bind returns, so that a
// deliver_sm is answered on the connection it came in on.
type link struct {
	sess atomic.Pointer[gosmpp.Session]
}

// onPDU handles every PDU the SMSC sends, on the session's read goroutine,
// where a panic would end the process: a PDU that trips a bug is logged and
// still answered.
func (s *Session) onPDU(l *link, p pdu.PDU) (resp pdu.PDU, closeBind bool) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("handling a PDU from the SMSC failed", "command", fmt.Sprintf("%v", p.GetHeader().CommandID), "panic", r)
			if p.CanResponse() {
				resp, closeBind = p.GetResponse(), false
			}
		}
	}()
	switch p := p.(type) {
	case *pdu.SubmitSMResp:
		s.h.Response(p.SequenceNumber, Status(p.CommandStatus), p.MessageID)
		return nil, false
	case *pdu.QuerySMResp:
		s.answerQuery(p.SequenceNumber, queryAnswer{status: Status(p.CommandStatus), state: p.MessageState, err: p.ErrorCode})
		return nil, false
	case *pdu.GenericNack:
		if s.answerQuery(p.SequenceNumber, queryAnswer{status: Status(data.ESME_RINVCMDID)}) {
			return nil, false // an SMSC that does not know query_sm
		}
		s.h.Response(p.SequenceNumber, Status(p.CommandStatus), "")
		return nil, false
	case *pdu.DeliverSM:
		s.onDeliver(l, p) // answered once stored
		return nil, false
	case *pdu.EnquireLink:
		return p.GetResponse(), false
	case *pdu.Unbind:
		return p.GetResponse(), true
	case *pdu.EnquireLinkResp, *pdu.UnbindResp:
		return nil, false
	default:
		s.log.Warn("unexpected PDU from SMSC", "command", fmt.Sprintf("%v", p.GetHeader().CommandID))
		if p.CanResponse() {
			return p.GetResponse(), false
		}
		return nil, false
	}
}

// onDeliver hands a receipt or a reply to the handler with the function
// that answers it.
func (s *Session) onDeliver(l *link, p *pdu.DeliverSM) {
	now := time.Now()
	s.lastDeliver.Store(now.UnixNano())
	ack := answerLater(l, p)
	if r, ok := parseReceipt(p); ok {
		r.At = now
		s.h.Receipt(r, ack)
		return
	}
	part, err := parseReply(p)
	if err != nil {
		s.log.Warn("unreadable reply from SMSC", "error", err)
		ack() // it would come back unreadable again
		return
	}
	part.At = now
	s.h.Reply(part, ack)
}

// answerLater returns the function that sends p's response on the
// connection p came in on. If that connection is gone by then, the SMSC
// sends p again on the next one, and storing it again changes nothing: a
// receipt is applied once, and a reply or reply part the store holds
// already is taken for the copy it is (app.ReplyResendWindow).
func answerLater(l *link, p *pdu.DeliverSM) func() {
	resp := p.GetResponse()
	return func() {
		if sess := l.sess.Load(); sess != nil {
			_ = sess.Transceiver().Submit(resp)
		}
	}
}
