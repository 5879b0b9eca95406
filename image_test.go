package main

// The container image, as .ci/image.sh builds it into a tarball: it is the
// one server.json names, and the binary inside, started as the image's
// entrypoint says, runs --version and serves tools/list with --sandbox.

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/tools/toolsets"
)

// imageTar reads the files of an image tarball (docker save layout).
func imageTar(t *testing.T, path string) map[string][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	files := map[string][]byte{}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if files[h.Name], err = io.ReadAll(tr); err != nil {
			t.Fatal(err)
		}
	}
}

// unpackLayer writes a gzipped layer's regular files, directories and
// symlinks under root.
func unpackLayer(t *testing.T, layer []byte, root string) {
	t.Helper()
	zr, err := gzip.NewReader(strings.NewReader(string(layer)))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Join(root, filepath.Clean("/"+h.Name))
		switch h.Typeflag {
		case tar.TypeDir:
			err = os.MkdirAll(name, 0o755)
		case tar.TypeReg:
			os.MkdirAll(filepath.Dir(name), 0o755)
			var b []byte
			if b, err = io.ReadAll(tr); err == nil {
				err = os.WriteFile(name, b, os.FileMode(h.Mode)&0o755|0o600)
			}
		case tar.TypeSymlink:
			os.MkdirAll(filepath.Dir(name), 0o755)
			err = os.Symlink(h.Linkname, name)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestImage(t *testing.T) {
	path := os.Getenv("QUALYS_CS_MCP_IMAGE")
	if path == "" {
		t.Skip("QUALYS_CS_MCP_IMAGE is not set: .ci/image.sh builds the image and runs this test on it")
	}
	files := imageTar(t, path)
	var manifest []struct {
		Config   string
		RepoTags []string
		Layers   []string
	}
	if err := json.Unmarshal(files["manifest.json"], &manifest); err != nil || len(manifest) != 1 {
		t.Fatalf("manifest.json: %v: %s", err, files["manifest.json"])
	}
	m := manifest[0]
	var sj struct {
		Packages []struct{ RegistryType, Identifier string }
	}
	b, _ := os.ReadFile("server.json")
	if err := json.Unmarshal(b, &sj); err != nil || len(sj.Packages) == 0 || sj.Packages[0].RegistryType != "oci" {
		t.Fatalf("server.json: %v", err)
	}
	if len(m.RepoTags) != 1 || m.RepoTags[0] != sj.Packages[0].Identifier {
		t.Errorf("the image is tagged %v; server.json names %s", m.RepoTags, sj.Packages[0].Identifier)
	}
	var cfg struct {
		Architecture, OS string
		Config           struct {
			Entrypoint, Cmd, Env []string
			User                 string
		}
	}
	if err := json.Unmarshal(files[m.Config], &cfg); err != nil || len(cfg.Config.Entrypoint) == 0 {
		t.Fatalf("config %s: %v: %s", m.Config, err, files[m.Config])
	}
	if cfg.OS != "linux" || cfg.Config.User == "" || strings.HasPrefix(cfg.Config.User, "0") || cfg.Config.User == "root" {
		t.Errorf("image for %s/%s, user %q: want linux and a user other than root", cfg.OS, cfg.Architecture, cfg.Config.User)
	}
	root := t.TempDir()
	for _, l := range m.Layers {
		unpackLayer(t, files[l], root)
	}
	if fi, err := os.Stat(filepath.Join(root, "etc/ssl/certs/ca-certificates.crt")); err != nil || fi.Size() == 0 {
		t.Errorf("no CA bundle for TLS to Qualys: %v", err)
	}
	bin := filepath.Join(root, cfg.Config.Entrypoint[0])
	args := append(append([]string{}, cfg.Config.Entrypoint[1:]...), cfg.Config.Cmd...)
	command := func(extra ...string) *exec.Cmd {
		cmd := exec.Command(bin, append(append([]string{}, args...), extra...)...)
		cmd.Env = cfg.Config.Env
		return cmd
	}
	out, err := command("--version").Output()
	if err != nil || strings.TrimSpace(string(out)) != "qualys-cs-mcp "+version {
		t.Fatalf("%s --version: %v: %q", cfg.Config.Entrypoint[0], err, out)
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cl := mcp.NewClient(&mcp.Implementation{Name: "image-test", Version: "1"}, nil)
	sess, err := cl.Connect(ctx, &mcp.CommandTransport{Command: command("--sandbox")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	res, err := sess.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	all, _ := toolsets.All()
	def, _ := toolsets.Select(all, false, strings.Split(toolsets.DefaultToolsets, ","), nil)
	if len(res.Tools) != len(def) {
		t.Fatalf("tools/list from the image: %d tools, want %d", len(res.Tools), len(def))
	}
	t.Logf("image %s: %s --version and a sandbox tools/list (%d tools) ran from its layers", m.RepoTags[0], cfg.Config.Entrypoint[0], len(res.Tools))
}
