package smpp

import (
	"context"
	"errors"
	"sync"

	"github.com/linxGnu/gosmpp/data"
	"github.com/linxGnu/gosmpp/pdu"

	"smsgw/app"
)

// ErrQueryUnsupported is Query's error when the SMSC does not implement
// query_sm: it answered generic_nack or ESME_RINVCMDID.
var ErrQueryUnsupported = errors.New("smpp: the SMSC does not support query_sm")

// queries are the query_sm waiting for an answer, by sequence number. They
// share the session's sequence numbers (gosmpp numbers every PDU from one
// counter), so a response is told apart from a submit's by its number.
type queries struct {
	mu      sync.Mutex
	waiting map[int32]chan queryAnswer
}

type queryAnswer struct {
	status Status
	state  byte
	err    byte
}

// Query asks the SMSC for the state of the part it accepted as smscID from
// src's number, with the channel's source TON/NPI (SMPP 3.4 query_sm,
// section 4.8) and returns its message_state
// (app.MessageState) and network error code. It fails with
// ErrQueryUnsupported when the SMSC refuses the command itself, with
// ErrNotBound while unbound, or with ctx's error if no answer comes.
func (s *Session) Query(ctx context.Context, smscID string, src Addressing) (app.MessageState, byte, error) {
	g := s.cur.Load()
	if g == nil {
		return 0, 0, ErrNotBound
	}
	q := pdu.NewQuerySM().(*pdu.QuerySM)
	// gosmpp v0.3.1's NewQuerySM numbers nothing and leaves the TLV map nil.
	q.OptionalParameters = map[pdu.Tag]pdu.Field{}
	q.AssignSequenceNumber()
	q.MessageID = smscID
	addr, err := pdu.NewAddressWithTonNpiAddr(byte(src.SourceTON), byte(src.SourceNPI), src.Source)
	if err != nil {
		return 0, 0, err
	}
	q.SourceAddr = addr
	ch := make(chan queryAnswer, 1)
	seq := q.SequenceNumber
	s.q.mu.Lock()
	if s.q.waiting == nil {
		s.q.waiting = map[int32]chan queryAnswer{}
	}
	s.q.waiting[seq] = ch
	s.q.mu.Unlock()
	defer func() {
		s.q.mu.Lock()
		delete(s.q.waiting, seq)
		s.q.mu.Unlock()
	}()
	if err := g.Transceiver().Submit(q); err != nil {
		return 0, 0, err
	}
	select {
	case a := <-ch:
		switch {
		case a.status.OK():
			return app.MessageState(a.state), a.err, nil
		case data.CommandStatusType(a.status) == data.ESME_RINVCMDID:
			return 0, 0, ErrQueryUnsupported
		default:
			return 0, 0, QueryError{a.status}
		}
	case <-ctx.Done():
		return 0, 0, ctx.Err()
	}
}

// QueryError is an SMSC's refusal of one query_sm (an unknown message id,
// say): the command is supported, this message cannot be looked up.
type QueryError struct{ Status Status }

func (e QueryError) Error() string { return "smpp: query_sm refused: " + e.Status.Code() }

// answerQuery hands a query_sm_resp, or a generic_nack of a query, to its
// waiting Query; false if seq is no query's.
func (s *Session) answerQuery(seq int32, a queryAnswer) bool {
	s.q.mu.Lock()
	ch, ok := s.q.waiting[seq]
	s.q.mu.Unlock()
	if ok {
		ch <- a // buffered, and answered once
	}
	return ok
}
