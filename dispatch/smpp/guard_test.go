package smpp_test

import (
	"encoding/binary"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestSession_SurvivesAPDUThatBreaksTheParser binds to an SMSC that sends a
// query_sm with a TLV, on which gosmpp v0.3.1's parser panics on its read
// goroutine (found by FuzzIncomingPDU): the process used to end. Now the
// session reports it, drops that connection and binds again.
func TestSession_SurvivesAPDUThatBreaksTheParser(t *testing.T) {
	// query_sm: message_id "1", source address 0/0/"", a TLV (0x0004, 0 bytes).
	addr := fakeSMSC(t, []byte("\x00\x00\x00\x19\x00\x00\x00\x03\x00\x00\x00\x00\x00\x00\x00\x09"+
		"1\x00\x00\x00\x00"+"\x00\x04\x00\x00"))
	_, ev := open(t, addr)
	waitFor(t, "the fault, then a second bind", 15*time.Second, func() bool {
		return ev.read(func(e *events) bool {
			found := false
			for _, f := range e.faults {
				found = found || strings.HasPrefix(f, "receive: ") && strings.Contains(f, "breaks the PDU parser")
			}
			return found && e.bound >= 2
		})
	})
}

// fakeSMSC answers every bind and then sends poison once per connection.
func fakeSMSC(t *testing.T, poison []byte) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				for {
					var head [16]byte
					if _, err := io.ReadFull(c, head[:]); err != nil {
						return
					}
					body := make([]byte, binary.BigEndian.Uint32(head[:4])-16)
					if _, err := io.ReadFull(c, body); err != nil {
						return
					}
					if cmd := binary.BigEndian.Uint32(head[4:8]); cmd == 0x09 { // bind_transceiver
						resp := []byte("\x00\x00\x00\x00\x80\x00\x00\x09\x00\x00\x00\x00" + string(head[12:16]) + "sim\x00")
						resp[3] = byte(len(resp))
						if _, err := c.Write(append(resp, poison...)); err != nil {
							return
						}
					}
				}
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String()
}
