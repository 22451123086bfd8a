package smpp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/linxGnu/gosmpp/data"
	"github.com/linxGnu/gosmpp/pdu"

	"smsgw/app"
)

// FuzzIncomingPDU is a hostile SMSC: any bytes on the connection are
// parsed by gosmpp exactly as its read loop does (pdu.Parse over the
// guarded connection, outside our recover: a panic there would end the
// process), and what parses goes through our handling. A deliver_sm
// becomes exactly one receipt, one reply or one logged unreadable reply,
// with its fields in range; a request is answered; nothing reaches the
// session's recover.
func FuzzIncomingPDU(f *testing.F) {
	for _, p := range seedPDUs(f) {
		f.Add(p)
	}
	f.Add([]byte{0, 0, 0, 15, 0, 0, 0, 0x15, 0, 0, 0, 0, 0, 0, 0}) // command_length too short
	// Every command gosmpp parses, bare and with a body of C-strings,
	// bytes and a TLV, so the fuzzer starts inside each one's Unmarshal.
	body := []byte("ab\x00\x01\x01138\x00\x02\x00\x03\x00\x00\x04\x00\x00\x00\x02\x01\x02")
	for _, id := range []uint32{1, 2, 3, 4, 5, 6, 7, 8, 9, 0x0B, 0x15, 0x21, 0x102, 0x103} {
		for _, cmd := range []uint32{id, id | 0x80000000} {
			head := []byte{0, 0, 0, 16, byte(cmd >> 24), byte(cmd >> 16), byte(cmd >> 8), byte(cmd), 0, 0, 0, 0, 0, 0, 0, 1}
			f.Add(head)
			withBody := append(append([]byte{}, head...), body...)
			withBody[3] = byte(len(withBody))
			f.Add(withBody)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := parse(b)
		if err != nil {
			t.Fatal(err) // a panic through the guard, or a new one in gosmpp
		}
		if p == nil {
			return
		}
		if d, ok := p.(*pdu.DeliverSM); ok {
			checkDeliver(t, d)
		}

		h := &recorder{}
		logs := &logRecorder{}
		s := &Session{h: h, log: slog.New(logs)}
		resp, _ := s.onPDU(&link{}, p)
		if msg := logs.errors(); msg != "" {
			t.Fatalf("%v: our handling panicked: %s", p.GetHeader().CommandID, msg)
		}
		switch p.(type) {
		case *pdu.DeliverSM:
			if n := h.receipts + h.replies + logs.count("unreadable reply from SMSC"); n != 1 {
				t.Fatalf("deliver_sm handled %d times (receipts %d, replies %d)", n, h.receipts, h.replies)
			}
		case *pdu.SubmitSMResp, *pdu.QuerySMResp, *pdu.GenericNack, *pdu.EnquireLinkResp, *pdu.UnbindResp:
		default:
			if p.CanResponse() && resp == nil {
				t.Fatalf("%v was not answered", p.GetHeader().CommandID)
			}
		}
	})
}

// parse reads one PDU as gosmpp's read loop does from the connection
// guardConn wraps, and reports a panic as an error so the fuzzer shows it
// as a finding of its own: one through the guard, or one the guard caught
// in gosmpp other than the query_sm one we know of, to report upstream.
func parse(b []byte) (p pdu.PDU, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("pdu.Parse panicked through the guard on %x: %v", b, r)
		}
	}()
	p, perr := pdu.Parse(&pduReader{r: bytes.NewReader(b)})
	var pp *parserPanic
	if errors.As(perr, &pp) && pp.cmd != data.QUERY_SM {
		return nil, fmt.Errorf("gosmpp's parser panics on %x (guarded): %v", b, pp)
	} else if perr != nil {
		return nil, nil
	}
	return p, nil
}

// checkDeliver holds our reading of a deliver_sm to its ranges: a receipt
// has the SMSC's id and a status word without spaces; a reply part's
// numbers are in range, its text is UTF-8, and its sender is normalised
// when it reads as a number.
func checkDeliver(t *testing.T, d *pdu.DeliverSM) {
	t.Helper()
	if r, ok := parseReceipt(d); ok {
		if r.SMSCID == "" || strings.Contains(r.Stat, " ") || strings.ToUpper(r.Stat) != r.Stat {
			t.Fatalf("receipt %+v", r)
		}
		return
	}
	m, err := parseReply(d)
	if err != nil {
		return
	}
	if m.Total < 1 || m.Total > 255 || m.Seq < 1 || m.Seq > m.Total || m.Ref < 0 || m.Ref > 0xFFFF {
		t.Fatalf("reply part %d of %d, ref %d", m.Seq, m.Total, m.Ref)
	}
	if !utf8.ValidString(m.Text) || !utf8.ValidString(m.From) || !utf8.ValidString(m.To) {
		t.Fatalf("reply from %q to %q, text %q: not UTF-8", m.From, m.To, m.Text)
	}
	if n, err := app.NormalizeNumber(d.SourceAddr.Address()); err == nil && m.From != n {
		t.Fatalf("reply from %q kept as %q, want %q", d.SourceAddr.Address(), m.From, n)
	}
}

// seedPDUs are what a real SMSC sends: receipts in text and in TLVs,
// whole and concatenated replies (UDH and SAR), and the responses.
func seedPDUs(tb testing.TB) [][]byte {
	var out [][]byte
	add := func(p pdu.PDU) {
		b := pdu.NewBuffer(nil)
		p.Marshal(b)
		out = append(out, b.Bytes())
	}
	deliver := func(esm byte, text string, enc data.Encoding) *pdu.DeliverSM {
		d := pdu.NewDeliverSM().(*pdu.DeliverSM)
		d.SequenceNumber = 7
		d.EsmClass = esm
		d.SourceAddr, _ = pdu.NewAddressWithTonNpiAddr(1, 1, "+8613800138000")
		d.DestAddr, _ = pdu.NewAddressWithTonNpiAddr(0, 0, "1069000112")
		if err := d.Message.SetMessageWithEncoding(text, enc); err != nil {
			tb.Fatal(err)
		}
		return d
	}
	add(deliver(0x04, "id:ABC123 sub:001 dlvrd:001 submit date:2611281200 done date:2611281201 stat:DELIVRD err:000 text:hello", data.GSM7BIT))
	tlv := deliver(0x04, "", data.GSM7BIT)
	tlv.RegisterOptionalParam(pdu.Field{Tag: pdu.TagReceiptedMessageID, Data: []byte("TLV-ID\x00")})
	tlv.RegisterOptionalParam(pdu.Field{Tag: pdu.TagMessageStateOption, Data: []byte{5}})
	add(tlv)
	add(deliver(0, "TD", data.GSM7BIT))
	add(deliver(0, "退订谢谢", data.UCS2))
	udh := deliver(0x40, "第一部分", data.UCS2)
	udh.Message.SetUDH(pdu.UDH{pdu.NewIEConcatMessage(2, 1, 9)})
	add(udh)
	sar := deliver(0, "second", data.GSM7BIT)
	sar.RegisterOptionalParam(pdu.Field{Tag: pdu.TagSarMsgRefNum, Data: []byte{1, 2}})
	sar.RegisterOptionalParam(pdu.Field{Tag: pdu.TagSarTotalSegments, Data: []byte{2}})
	sar.RegisterOptionalParam(pdu.Field{Tag: pdu.TagSarSegmentSeqnum, Data: []byte{2}})
	add(sar)
	payload := deliver(0, "", data.UCS2)
	payload.RegisterOptionalParam(pdu.Field{Tag: pdu.TagMessagePayload, Data: []byte{0x4f, 0x60, 0x59, 0x7d}})
	add(payload)
	resp := pdu.NewSubmitSMResp().(*pdu.SubmitSMResp)
	resp.SequenceNumber, resp.MessageID = 3, "0A1B2C"
	add(resp)
	q := pdu.NewQuerySMResp().(*pdu.QuerySMResp)
	q.SequenceNumber, q.MessageID, q.MessageState, q.ErrorCode = 4, "0A1B2C", 2, 0
	add(q)
	nack := pdu.NewGenericNack()
	nack.(*pdu.GenericNack).CommandStatus = data.ESME_RINVCMDID
	add(nack)
	add(pdu.NewUnbind())
	return out
}

// recorder is a Handler that counts what it is told and answers at once.
type recorder struct {
	receipts, replies int
}

func (r *recorder) Bound()                                   {}
func (r *recorder) Down()                                    {}
func (r *recorder) Fault(error)                              {}
func (r *recorder) SubmitFailed(int32)                       {}
func (r *recorder) Response(seq int32, st Status, id string) {}
func (r *recorder) Receipt(_ app.Receipt, ack func())        { r.receipts++; ack() }
func (r *recorder) Reply(_ ReplyPart, ack func())            { r.replies++; ack() }

// logRecorder keeps the messages a session logs.
type logRecorder struct {
	mu   sync.Mutex
	msgs []string
	errs []string
}

func (l *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (l *logRecorder) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *logRecorder) WithGroup(string) slog.Handler            { return l }
func (l *logRecorder) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.msgs = append(l.msgs, r.Message)
	if r.Level >= slog.LevelError {
		s := r.Message
		r.Attrs(func(a slog.Attr) bool { s += " " + a.String(); return true })
		l.errs = append(l.errs, s)
	}
	return nil
}

func (l *logRecorder) count(msg string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, m := range l.msgs {
		if m == msg {
			n++
		}
	}
	return n
}

func (l *logRecorder) errors() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.errs, "; ")
}
