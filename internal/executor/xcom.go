package executor

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// MaxXComBytes is the largest return value a try may hand back by default,
// as the API's default body limit: the value is stored in the database.
const MaxXComBytes = 1 << 20

// ReadXCom returns the JSON value in the file at path, nil when there is no
// such file.
func ReadXCom(path string, limit int) ([]byte, error) {
	// O_NONBLOCK and O_NOFOLLOW: a FIFO or a link to a device left there by
	// the task must not hang or mislead the executor.
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NONBLOCK|unix.O_NOFOLLOW, 0)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file (%s)", fi.Mode().Type())
	}
	if fi.Size() > int64(limit) {
		return nil, fmt.Errorf("%d bytes, more than the limit of %d", fi.Size(), limit)
	}
	b, err := io.ReadAll(io.LimitReader(f, int64(limit)+1))
	if err != nil {
		return nil, err
	}
	if len(b) > limit {
		return nil, fmt.Errorf("more than the limit of %d bytes", limit)
	}
	b = bytes.TrimSpace(b)
	var v json.RawMessage
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, err
	}
	return b, nil
}
