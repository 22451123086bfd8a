package smpp

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net"

	"github.com/linxGnu/gosmpp/data"
	"github.com/linxGnu/gosmpp/pdu"
)

// guardConn is the SMSC connection as gosmpp reads it: each incoming PDU
// is first parsed here under recover. gosmpp parses on its own goroutine,
// where a panic would end the process, and v0.3.1 panics on some PDUs (a
// query_sm with a TLV writes to a nil map); such a PDU becomes a read
// error instead, which ends this session only, as any unreadable PDU does.
type guardConn struct {
	net.Conn
	in pduReader
}

func guard(conn net.Conn) net.Conn { return &guardConn{Conn: conn, in: pduReader{r: conn}} }

func (c *guardConn) Read(p []byte) (int, error) { return c.in.Read(p) }

// pduReader passes on r's bytes a whole PDU at a time, once it parses.
type pduReader struct {
	r       io.Reader
	pending []byte
}

func (g *pduReader) Read(p []byte) (int, error) {
	if len(g.pending) == 0 {
		var head [16]byte
		if n, err := io.ReadFull(g.r, head[:]); err != nil {
			g.pending = head[:n] // gosmpp reports the short read
			if n == 0 {
				return 0, err
			}
		} else if size := binary.BigEndian.Uint32(head[:]); size < 16 || size > data.MAX_PDU_LEN {
			g.pending = head[:] // gosmpp refuses the length
		} else {
			frame := make([]byte, size)
			copy(frame, head[:])
			if _, err := io.ReadFull(g.r, frame[16:]); err != nil {
				return 0, err
			}
			if err := tryParse(frame); err != nil {
				return 0, err
			}
			g.pending = frame
		}
	}
	n := copy(p, g.pending)
	g.pending = g.pending[n:]
	return n, nil
}

// tryParse parses one whole PDU as gosmpp will, reporting a panic as a
// *parserPanic.
func tryParse(frame []byte) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &parserPanic{cmd: data.CommandIDType(binary.BigEndian.Uint32(frame[4:8])), size: len(frame), v: r}
		}
	}()
	_, _ = pdu.Parse(bytes.NewReader(frame))
	return nil
}

// parserPanic is a PDU on which gosmpp's parser panicked.
type parserPanic struct {
	cmd  data.CommandIDType
	size int
	v    any
}

func (e *parserPanic) Error() string {
	return fmt.Sprintf("smpp: a PDU from the SMSC (command_id %#08x, %d bytes) breaks the PDU parser: %v", uint32(e.cmd), e.size, e.v)
}
