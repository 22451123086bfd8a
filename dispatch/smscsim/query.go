package smscsim

import (
	"sync"
	"time"

	"github.com/linxGnu/gosmpp/data"
	"github.com/linxGnu/gosmpp/pdu"
)

// queryKeep bounds how many parts query_sm can be answered for: the oldest
// are forgotten first, so a long benchmark does not grow without limit.
const queryKeep = 1 << 20

// partState is what the simulator decided for an accepted part: its final
// state, reached at due (when its receipt falls due, sent or not).
type partState struct {
	state byte
	due   time.Time
}

// states remembers the recent parts' outcomes for query_sm.
type states struct {
	mu   sync.Mutex
	m    map[string]partState
	ring []string // ids in arrival order, to forget the oldest
	next int
}

func (s *states) put(id string, st partState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = make(map[string]partState)
	}
	if len(s.ring) < queryKeep {
		s.ring = append(s.ring, id)
	} else {
		delete(s.m, s.ring[s.next])
		s.ring[s.next] = id
		s.next = (s.next + 1) % queryKeep
	}
	s.m[id] = st
}

func (s *states) get(id string) (partState, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.m[id]
	return st, ok
}

// query answers a query_sm from the simulator's own records: the part's
// final state once its receipt fell due (whether or not the receipt was
// sent), ENROUTE before. An id it does not know gets ESME_RQUERYFAIL; with
// Options.RefuseQuery it answers generic_nack ESME_RINVCMDID, as an SMSC
// that does not implement query_sm does.
func (c *session) query(req *pdu.QuerySM) {
	cfg := c.srv.cfg.Load()
	c.srv.counters.queries.Add(1)
	if cfg.RefuseQuery {
		c.send(genericNack(req.SequenceNumber, data.ESME_RINVCMDID))
		return
	}
	resp := req.GetResponse().(*pdu.QuerySMResp)
	resp.MessageID = req.MessageID
	st, ok := c.srv.states.get(req.MessageID)
	if !ok {
		c.send(marshal(resp, data.ESME_RQUERYFAIL))
		return
	}
	resp.MessageState = data.SM_STATE_EN_ROUTE
	if !time.Now().Before(st.due) {
		resp.MessageState = st.state
		resp.FinalDate = st.due.UTC().Format("060102150405") + "000+"
	}
	c.send(marshal(resp, data.ESME_ROK))
}
