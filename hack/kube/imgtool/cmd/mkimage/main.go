// Command mkimage builds a single-layer container image from files of this
// machine (static binaries, usually) and writes it as an image tarball that
// `ctr -n k8s.io images import` loads. The test cluster has no registry, so
// its images are made this way and used with imagePullPolicy: Never.
//
//	mkimage -o OUT.tar -t REF [flags] HOSTFILE:/path/in/image ...
//
//	-entrypoint ARG   one element of the entrypoint (repeat for more)
//	-cmd ARG          one element of the default command (repeat for more)
//	-env NAME=VALUE   an environment variable (repeat); PATH has a default
//	-workdir DIR      working directory
//	-busybox FILE     add a static busybox as /bin/busybox, with a symlink in
//	                  /bin for each of its applets (sh, echo, sleep, ...)
//
// The layer is reproducible: same inputs, same image ID, so re-importing an
// unchanged image is a no-op for containerd.
package main

import (
	"archive/tar"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

type list []string

func (l *list) String() string     { return strings.Join(*l, " ") }
func (l *list) Set(s string) error { *l = append(*l, s); return nil }

const defaultPath = "PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "mkimage:", err)
		os.Exit(1)
	}
}

func run() error {
	var entrypoint, cmd, env list
	out := flag.String("o", "", "output tarball")
	ref := flag.String("t", "", "image name, e.g. updraft.local/busybox:1")
	workdir := flag.String("workdir", "", "working directory")
	busybox := flag.String("busybox", "", "static busybox binary to install with its applets")
	flag.Var(&entrypoint, "entrypoint", "entrypoint element (repeatable)")
	flag.Var(&cmd, "cmd", "default command element (repeatable)")
	flag.Var(&env, "env", "NAME=VALUE (repeatable)")
	flag.Parse()
	if *out == "" || *ref == "" {
		return errors.New("usage: mkimage -o OUT.tar -t REF [flags] HOSTFILE:/path/in/image ...")
	}
	tag, err := name.NewTag(*ref)
	if err != nil {
		return fmt.Errorf("image name %q: %w", *ref, err)
	}

	l := newLayer()
	// The usual top-level directories; the runtime mounts over several.
	for _, d := range []string{"bin", "dev", "etc", "proc", "sys", "usr/bin", "usr/local/bin", "var", "root"} {
		l.dir(d, 0o755)
	}
	l.dir("tmp", 0o1777)
	l.file("etc/passwd", 0o644, []byte("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"))
	l.file("etc/group", 0o644, []byte("root:x:0:\nnobody:x:65534:\n"))
	if *busybox != "" {
		if err := l.busybox(*busybox); err != nil {
			return err
		}
	}
	for _, m := range flag.Args() {
		src, dst, ok := strings.Cut(m, ":")
		if !ok || !strings.HasPrefix(dst, "/") {
			return fmt.Errorf("%q: want HOSTFILE:/absolute/path/in/image", m)
		}
		data, err := os.ReadFile(src)
		if err != nil {
			return err
		}
		st, err := os.Stat(src)
		if err != nil {
			return err
		}
		l.file(dst, int64(st.Mode().Perm()), data)
	}
	layerData, err := l.bytes()
	if err != nil {
		return err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerData)), nil
	})
	if err != nil {
		return err
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", "amd64"
	if !slices.ContainsFunc(env, func(e string) bool { return strings.HasPrefix(e, "PATH=") }) {
		env = append(list{defaultPath}, env...)
	}
	cf.Config = v1.Config{Entrypoint: entrypoint, Cmd: cmd, Env: env, WorkingDir: *workdir}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		return err
	}
	// Write next to the target and rename, so a reader never sees half a file.
	tmp := *out + ".tmp"
	if err := tarball.WriteToFile(tmp, tag, img); err != nil {
		return err
	}
	return os.Rename(tmp, *out)
}

// layer collects a filesystem tree and writes it as one tar, parents first,
// with fixed timestamps and owners.
type layer struct {
	entries map[string]*tar.Header
	data    map[string][]byte
}

func newLayer() *layer {
	return &layer{entries: map[string]*tar.Header{}, data: map[string][]byte{}}
}

func clean(p string) string { return strings.TrimPrefix(path.Clean("/"+p), "/") }

func (l *layer) parents(p string) {
	for d := path.Dir(p); d != "." && d != "/"; d = path.Dir(d) {
		if _, ok := l.entries[d]; !ok {
			l.dir(d, 0o755)
		}
	}
}

func (l *layer) dir(p string, mode int64) {
	p = clean(p)
	l.parents(p)
	l.entries[p] = &tar.Header{Typeflag: tar.TypeDir, Name: p + "/", Mode: mode}
}

func (l *layer) file(p string, mode int64, data []byte) {
	p = clean(p)
	l.parents(p)
	l.entries[p] = &tar.Header{Typeflag: tar.TypeReg, Name: p, Mode: mode, Size: int64(len(data))}
	l.data[p] = data
}

func (l *layer) symlink(p, target string) {
	p = clean(p)
	l.parents(p)
	l.entries[p] = &tar.Header{Typeflag: tar.TypeSymlink, Name: p, Linkname: target, Mode: 0o777}
}

// busybox installs the binary and links every applet it lists to it.
func (l *layer) busybox(bin string) error {
	data, err := os.ReadFile(bin)
	if err != nil {
		return err
	}
	l.file("bin/busybox", 0o755, data)
	out, err := exec.Command(bin, "--list").Output()
	if err != nil {
		return fmt.Errorf("%s --list: %w", bin, err)
	}
	for _, applet := range strings.Fields(string(out)) {
		if applet != "busybox" && !strings.Contains(applet, "/") {
			l.symlink("bin/"+applet, "busybox")
		}
	}
	return nil
}

func (l *layer) bytes() ([]byte, error) {
	names := make([]string, 0, len(l.entries))
	for n := range l.entries {
		names = append(names, n)
	}
	slices.Sort(names) // a parent sorts before its children
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, n := range names {
		h := l.entries[n]
		h.ModTime = time.Unix(0, 0)
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(l.data[n]); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
