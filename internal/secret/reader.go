package secret

import (
	"errors"
	"io"
	"slices"
)

// readChunk is how much maskReader asks r for at a time.
const readChunk = 32 << 10

// Reader returns a reader of r with registered secrets masked, for serving
// a log file in chunks: a secret split across reads of r is masked too. It
// holds back the bytes that may start a secret until r says what follows
// (fewer than the longest secret), and at most readChunk more. Secrets
// added while reading are masked from the next read of r on.
//
// It masks in one pass: unlike Mask, it does not mask again a secret that
// holds '*' and appears only once a Replacement is put in.
//
// When r fails with an error other than io.EOF, the bytes held back are
// dropped, since they may be the start of a secret, and the error returned.
func (m *Masker) Reader(r io.Reader) io.Reader {
	return &maskReader{m: m, r: r}
}

type maskReader struct {
	m *Masker
	r io.Reader
	// in is read from r and not yet masked: the start of a possible
	// secret, whose end r has not given yet.
	in []byte
	// out[off:] is masked and not yet returned.
	out []byte
	off int
	// err is r's error, returned once out is drained.
	err error
}

func (mr *maskReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for mr.off == len(mr.out) {
		if mr.err != nil {
			return 0, mr.err
		}
		mr.fill()
	}
	n := copy(p, mr.out[mr.off:])
	mr.off += n
	return n, nil
}

// fill reads once from r and masks what can be masked.
func (mr *maskReader) fill() {
	mr.out, mr.off = mr.out[:0], 0
	mr.in = slices.Grow(mr.in, readChunk)
	n, err := mr.r.Read(mr.in[len(mr.in):cap(mr.in)])
	mr.in = mr.in[:len(mr.in)+n]
	mr.err = err
	final := errors.Is(err, io.EOF)
	done := len(mr.in)
	if mt := mr.m.cur.Load(); mt != nil {
		var found bool
		mr.out, done, found = scan(mt, mr.in, final, mr.out)
		if !found {
			mr.out = append(mr.out, mr.in[:done]...)
		}
	} else {
		mr.out = append(mr.out, mr.in...)
	}
	if err != nil {
		// At EOF done is all of in; on another error what is left
		// may start a secret: drop it.
		mr.in = mr.in[:0]
		return
	}
	mr.in = mr.in[:copy(mr.in, mr.in[done:])]
}
