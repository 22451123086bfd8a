package smscsim

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/linxGnu/gosmpp/data"
	"github.com/linxGnu/gosmpp/pdu"
)

// BenchmarkSubmitWithReceipts measures the simulator's ceiling: one
// transceiver session submits b.N parts with up to 64 in flight, asks a
// receipt for each, and acknowledges every receipt; an op ends when all
// receipts are in. The client works on raw bytes so that it costs little
// next to the server it measures.
func BenchmarkSubmitWithReceipts(b *testing.B) {
	for _, delay := range []time.Duration{-1, 50 * time.Millisecond} {
		name := "delay=" + max(delay, 0).String()
		b.Run(name, func(b *testing.B) {
			s := New(Options{ReceiptDelay: delay})
			if err := s.Start("127.0.0.1:0"); err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			benchClient(b, s.Addr())
			waitFor(b, "the last acknowledgements", func() bool { return s.Stats().ReceiptsSent == int64(b.N) })
		})
	}
}

func benchClient(b *testing.B, addr string) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	r := bufio.NewReaderSize(conn, 64<<10)

	bind := pdu.NewBindRequest(pdu.Transceiver)
	bind.SystemID = "bench"
	if _, err := conn.Write(encode(bind)); err != nil {
		b.Fatal(err)
	}
	if p, err := pdu.Parse(r); err != nil || !p.IsOk() {
		b.Fatalf("bind: %v %v", p, err)
	}

	sm := pdu.NewSubmitSM().(*pdu.SubmitSM)
	_ = sm.SourceAddr.SetAddress("10690001")
	_ = sm.DestAddr.SetAddress("13800138000")
	sm.RegisteredDelivery = 1
	_ = sm.Message.SetMessageWithEncoding("Your verification code is 123456. It expires in 5 minutes.", data.GSM7BIT)
	submit := encode(sm)

	out := make(chan []byte, 1024)
	writerDone := make(chan error, 1)
	go func() { // the client's writer: batch, flush when idle
		w := bufio.NewWriterSize(conn, 64<<10)
		var err error
		for p := range out {
			if err == nil {
				_, err = w.Write(p)
			}
			if err == nil && len(out) == 0 {
				err = w.Flush()
			}
		}
		writerDone <- err
	}()

	inflight := make(chan struct{}, 64)
	readerDone := make(chan error, 1)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	go func() { // the client's reader: free the window, acknowledge receipts
		var hdr [16]byte
		body := make([]byte, 0, 512)
		receipts := 0
		for receipts < b.N {
			if _, err := io.ReadFull(r, hdr[:]); err != nil {
				readerDone <- err
				return
			}
			n := binary.BigEndian.Uint32(hdr[:])
			body = body[:n-16]
			if _, err := io.ReadFull(r, body); err != nil {
				readerDone <- err
				return
			}
			switch data.CommandIDType(binary.BigEndian.Uint32(hdr[4:])) {
			case data.SUBMIT_SM_RESP:
				if binary.BigEndian.Uint32(hdr[8:]) != 0 {
					readerDone <- fmt.Errorf("submit_sm_resp status %#x", binary.BigEndian.Uint32(hdr[8:]))
					return
				}
				<-inflight
			case data.DELIVER_SM:
				resp := headerOnly(data.DELIVER_SM_RESP, 0, int32(binary.BigEndian.Uint32(hdr[12:])))
				resp = append(resp, 0) // empty message_id
				binary.BigEndian.PutUint32(resp, uint32(len(resp)))
				out <- resp
				receipts++
			}
		}
		readerDone <- nil
	}()
	for i := range b.N {
		inflight <- struct{}{}
		out <- withSeq(submit, uint32(i+1))
	}
	if err := <-readerDone; err != nil {
		b.Fatal(err)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	close(out)
	if err := <-writerDone; err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "parts/s")
}

func encode(p pdu.PDU) []byte {
	buf := pdu.NewBuffer(nil)
	p.Marshal(buf)
	return buf.Bytes()
}
