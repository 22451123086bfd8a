package smscsim

import (
	"bufio"
	"encoding/binary"
	"runtime/debug"
)

// writeLoop is a session's only writer. It batches PDUs in a bufio.Writer
// and flushes when it has nothing more to write, so a burst of thousands of
// PDUs costs a few syscalls. It ends when the reader closes c.out.
func (c *session) writeLoop() {
	defer close(c.writerDone)
	defer func() {
		if r := recover(); r != nil {
			c.log.Error("smscsim writer panic", "panic", r, "stack", string(debug.Stack()))
			_ = c.conn.Close()
			// Keep draining so the reader is never stuck on c.out.
			for range c.out {
			}
		}
	}()
	w := bufio.NewWriterSize(c.conn, 64<<10)
	var err error
	write := func(b []byte) {
		if err == nil {
			_, err = w.Write(b)
		}
	}
	for {
		select {
		case b, ok := <-c.out:
			if !ok {
				if err == nil {
					_ = w.Flush()
				}
				return
			}
			write(b)
		case <-c.kick:
			// Whatever the reader queued before the kick (a bind_resp)
			// must reach the wire before the deliveries.
			for n := len(c.out); n > 0; n-- {
				b, ok := <-c.out
				if !ok {
					if err == nil {
						_ = w.Flush()
					}
					return
				}
				write(b)
			}
			if err == nil {
				err = c.writeDeliveries(w)
			}
		}
		if err == nil && len(c.out) == 0 && len(c.kick) == 0 {
			err = w.Flush()
		}
		if err != nil {
			// Closing makes the reader fail too, which detaches the
			// session and hands its deliveries back.
			_ = c.conn.Close()
		}
	}
}

// writeDeliveries writes the queued deliver_sm that fit in the window.
func (c *session) writeDeliveries(w *bufio.Writer) error {
	batch := c.srv.dl.take(c, nil)
	for _, t := range batch {
		var seq [4]byte
		binary.BigEndian.PutUint32(seq[:], t.seq)
		// bufio.Writer keeps its first error, so checking the last write
		// is enough.
		_, _ = w.Write(t.d.raw[:12])
		_, _ = w.Write(seq[:])
		if _, err := w.Write(t.d.raw[16:]); err != nil {
			return err
		}
	}
	return nil
}
