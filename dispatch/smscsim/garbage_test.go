package smscsim

import (
	"encoding/binary"
	"log/slog"
	"math/rand/v2"
	"net"
	"testing"
	"time"

	"github.com/linxGnu/gosmpp/data"
	"github.com/linxGnu/gosmpp/pdu"
)

// rawHeader encodes a PDU header followed by body.
func rawHeader(length, id, status, seq uint32, body []byte) []byte {
	b := make([]byte, 16, 16+len(body))
	binary.BigEndian.PutUint32(b[0:], length)
	binary.BigEndian.PutUint32(b[4:], id)
	binary.BigEndian.PutUint32(b[8:], status)
	binary.BigEndian.PutUint32(b[12:], seq)
	return append(b, body...)
}

func TestGarbage(t *testing.T) {
	t.Run("RandomBytesCloseTheConnectionOnly", func(t *testing.T) {
		var log errorLog
		s := startServer(t, Options{Logger: slog.New(&log)})
		rng := rand.New(rand.NewPCG(1, 2))
		for range 20 {
			c := dial(t, s.Addr())
			junk := make([]byte, 200)
			for i := range junk {
				junk[i] = byte(rng.UintN(256))
			}
			c.writeRaw(junk)
			_ = c.conn.(*net.TCPConn).CloseWrite() // no more bytes: the server must not wait for them
			c.waitClosed()
		}
		c := dial(t, s.Addr())
		c.mustBind(pdu.Transceiver)
		c.send(submitSM(t, "1", "2", "still alive", 0))
		if r := c.submitResp(); r.CommandStatus != data.ESME_ROK {
			t.Fatal(r.CommandStatus)
		}
		if errs := log.errors(); len(errs) > 0 {
			t.Fatalf("errors logged: %v", errs)
		}
	})

	t.Run("OversizedPDUIsNackedAndClosed", func(t *testing.T) {
		s := startServer(t, Options{})
		c := dial(t, s.Addr())
		c.mustBind(pdu.Transceiver)
		c.writeRaw(rawHeader(maxPDULen+1, uint32(data.SUBMIT_SM), 0, 77, nil))
		n, ok := c.next().(*pdu.GenericNack)
		if !ok || n.CommandStatus != data.ESME_RINVCMDLEN || n.SequenceNumber != 77 {
			t.Fatalf("want generic_nack ESME_RINVCMDLEN, got %#v", n)
		}
		c.waitClosed()
		waitFor(t, "no bound session", func() bool { return s.Stats().Bound == 0 })
	})

	t.Run("ShortLengthIsNackedAndClosed", func(t *testing.T) {
		s := startServer(t, Options{})
		c := dial(t, s.Addr())
		c.writeRaw(rawHeader(8, uint32(data.ENQUIRE_LINK), 0, 5, nil))
		if n, ok := c.next().(*pdu.GenericNack); !ok || n.CommandStatus != data.ESME_RINVCMDLEN {
			t.Fatalf("want generic_nack ESME_RINVCMDLEN, got %#v", n)
		}
		c.waitClosed()
	})

	t.Run("UnknownCommandIsNacked", func(t *testing.T) {
		s := startServer(t, Options{})
		c := dial(t, s.Addr())
		c.mustBind(pdu.Transceiver)
		c.writeRaw(rawHeader(20, 0x00000777, 0, 9, []byte{1, 2, 3, 4}))
		n, ok := c.next().(*pdu.GenericNack)
		if !ok || n.CommandStatus != data.ESME_RINVCMDID || n.SequenceNumber != 9 {
			t.Fatalf("want generic_nack ESME_RINVCMDID, got %#v", n)
		}
		seq := c.send(pdu.NewEnquireLink()) // the session goes on
		if r, ok := c.next().(*pdu.EnquireLinkResp); !ok || r.SequenceNumber != seq {
			t.Fatalf("want enquire_link_resp, got %#v", r)
		}
	})

	t.Run("MalformedSubmitIsNacked", func(t *testing.T) {
		s := startServer(t, Options{})
		c := dial(t, s.Addr())
		c.mustBind(pdu.Transceiver)
		// service_type, addresses, flags... then sm_length 50 with 2 bytes.
		body := []byte{0, 1, 1, '1', 0, 1, 1, '2', 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 50, 'h', 'i'}
		c.writeRaw(rawHeader(uint32(16+len(body)), uint32(data.SUBMIT_SM), 0, 11, body))
		n, ok := c.next().(*pdu.GenericNack)
		if !ok || n.CommandStatus != data.ESME_RINVCMDLEN || n.SequenceNumber != 11 {
			t.Fatalf("want generic_nack ESME_RINVCMDLEN, got %#v", n)
		}
		// A UDH indicator without a valid UDH.
		body = []byte{0, 1, 1, '1', 0, 1, 1, '2', 0, 0x40, 0, 0, 0, 0, 1, 0, 0, 0, 2, 9, 9}
		c.writeRaw(rawHeader(uint32(16+len(body)), uint32(data.SUBMIT_SM), 0, 12, body))
		if n, ok := c.next().(*pdu.GenericNack); !ok || n.SequenceNumber != 12 {
			t.Fatalf("want generic_nack, got %#v", n)
		}
		if st := s.Stats(); st.SubmitSM != 2 || st.Accepted != 0 {
			t.Errorf("stats %+v", st)
		}
	})

	t.Run("RepeatedBadPDUsClose", func(t *testing.T) {
		s := startServer(t, Options{})
		c := dial(t, s.Addr())
		for range maxBadPDUs {
			c.writeRaw(rawHeader(16, 0x00000666, 0, 1, nil))
		}
		c.waitClosed()
	})

	t.Run("RandomFramesNeverCrash", func(t *testing.T) {
		var log errorLog
		s := startServer(t, Options{ReceiptDelay: -1, Logger: slog.New(&log)})
		rng := rand.New(rand.NewPCG(3, 4))
		ids := []data.CommandIDType{
			data.BIND_TRANSCEIVER, data.SUBMIT_SM, data.DELIVER_SM_RESP, data.ENQUIRE_LINK,
			data.QUERY_SM, data.DATA_SM, data.SUBMIT_MULTI, data.GENERIC_NACK, data.REPLACE_SM,
			data.CANCEL_SM, data.BIND_RECEIVER, data.OUTBIND, data.ALERT_NOTIFICATION,
		}
		for range 300 {
			c := dial(t, s.Addr())
			c.mustBind(pdu.Transceiver)
			for range 10 {
				body := make([]byte, rng.IntN(300))
				for i := range body {
					body[i] = byte(rng.UintN(256))
					if rng.IntN(4) == 0 {
						body[i] = 0 // C-string terminators make deeper parsing likely
					}
				}
				id := ids[rng.IntN(len(ids))]
				c.writeRaw(rawHeader(uint32(16+len(body)), uint32(id), 0, rng.Uint32(), body))
			}
			c.writeRaw(rawHeader(16, uint32(data.UNBIND), 0, 1, nil))
			select {
			case <-c.done:
			case <-time.After(5 * time.Second):
				t.Fatal("session neither closed nor unbound")
			}
			c.close()
		}
		c := dial(t, s.Addr())
		c.mustBind(pdu.Transceiver)
		if errs := log.errors(); len(errs) > 0 {
			t.Fatalf("errors logged: %v", errs)
		}
	})

	t.Run("RandomSubmitsNeverCrash", func(t *testing.T) {
		var log errorLog
		s := startServer(t, Options{ReceiptDelay: -1, Logger: slog.New(&log)})
		rng := rand.New(rand.NewPCG(9, 8))
		c := dial(t, s.Addr())
		c.mustBind(pdu.Transceiver)
		const n = 2000
		for range n {
			p := pdu.NewSubmitSM().(*pdu.SubmitSM)
			p.EsmClass = byte(rng.UintN(256))
			p.RegisteredDelivery = byte(rng.UintN(4))
			msg := make([]byte, rng.IntN(200))
			for i := range msg {
				msg[i] = byte(rng.UintN(256))
				if rng.IntN(3) == 0 {
					msg[i] = byte(rng.IntN(8)) // plausible UDH lengths and IEIs
				}
			}
			_ = p.Message.SetMessageDataWithEncoding(msg, data.GSM7BIT)
			if rng.IntN(3) == 0 {
				p.RegisterOptionalParam(pdu.Field{Tag: pdu.TagMessagePayload, Data: msg})
			}
			if rng.IntN(3) == 0 {
				p.RegisterOptionalParam(pdu.Field{Tag: pdu.TagSarMsgRefNum, Data: msg[:min(2, len(msg))]})
				p.RegisterOptionalParam(pdu.Field{Tag: pdu.TagSarTotalSegments, Data: []byte{byte(rng.UintN(256))}})
				p.RegisterOptionalParam(pdu.Field{Tag: pdu.TagSarSegmentSeqnum, Data: []byte{byte(rng.UintN(256))}})
			}
			b := pdu.NewBuffer(nil)
			p.Marshal(b)
			raw := b.Bytes()
			raw[16+1+3+3+3+5] = byte(rng.UintN(256)) // data_coding
			c.writeRaw(raw)
		}
		for answered := 0; answered < n; {
			switch c.next().(type) {
			case *pdu.SubmitSMResp, *pdu.GenericNack:
				answered++
			}
		}
		if st := s.Stats(); st.SubmitSM != n {
			t.Errorf("SubmitSM = %d, want %d", st.SubmitSM, n)
		}
		if errs := log.errors(); len(errs) > 0 {
			t.Fatalf("errors logged: %v", errs)
		}
	})
}
