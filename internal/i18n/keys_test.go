package i18n

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// repoRoot is the module's root, seen from this package's directory.
const repoRoot = "../.."

// keyShape is what a text key looks like: "admin.err_title", "web.check.format".
var keyShape = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$`)

// templateKey is a key in an HTML template: {{t .L "web.fee"}}.
var templateKey = regexp.MustCompile(`\bt \S+ "([^"]+)"`)

// dynamicKeys are the prefixes the code completes at run time from a set of constants
// ("reason." + r.Code): every constant of the set must have its text.
var dynamicKeys = []struct{ prefix, dir, constPrefix string }{
	{"reason.", "internal/raffle", "Refuse"},
	{"status.", "internal/raffle", "Status"},
	{"admin.mode_", "internal/raffle", "Mode"},
	{"admin.prize_", "internal/raffle", "Prize"},
}

// TestEveryKeyUsedExists: every text key the code names exists in both languages (a missing
// key shows the key itself to the user). It reads the source: each string literal shaped like
// a key whose first part is one of the catalog's areas, outside the places such a literal is
// not a key (audit actions, map keys, file names); each key in the HTML templates; each
// literal prefix joined to a value at run time ("admin.currency_" + c) has at least one key;
// and the prefixes completed from known constants have a key for every constant.
func TestEveryKeyUsedExists(t *testing.T) {
	areas := map[string]bool{}
	for key := range catalog[RU] {
		areas[strings.SplitN(key, ".", 2)[0]] = true
	}
	exists := func(key string) bool {
		_, ru := catalog[RU][key]
		_, en := catalog[EN][key]
		return ru && en
	}
	var missing []string
	report := func(key, where string) {
		if !exists(key) {
			missing = append(missing, key+" ("+where+")")
		}
	}
	used := 0
	err := filepath.WalkDir(repoRoot, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != repoRoot && (name == "testdata" || name == "node_modules" || strings.HasPrefix(name, ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		rel, _ := filepath.Rel(repoRoot, path)
		switch {
		case strings.HasSuffix(name, ".html") && strings.Contains(rel, "templates"):
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for _, m := range templateKey.FindAllStringSubmatch(string(data), -1) {
				used++
				report(m[1], rel)
			}
		case strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_test.go") && filepath.Dir(rel) != filepath.Join("internal", "i18n"):
			n, err := keysInGo(path, rel, areas, func(key, where string) { report(key, where) })
			if err != nil {
				return err
			}
			used += n
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, dk := range dynamicKeys {
		values, err := stringConsts(filepath.Join(repoRoot, dk.dir), dk.constPrefix)
		if err != nil {
			t.Fatal(err)
		}
		if len(values) == 0 {
			t.Errorf("no constants %s* in %s for the keys %s*", dk.constPrefix, dk.dir, dk.prefix)
		}
		for _, v := range values {
			report(dk.prefix+v, dk.dir+" "+dk.constPrefix+"*")
		}
	}
	if used < 500 {
		t.Fatalf("found only %d keys used in the source: is the scan still reading it?", used)
	}
	slices.Sort(missing)
	missing = slices.Compact(missing)
	for _, m := range missing {
		t.Errorf("text key used but not in both languages: %s", m)
	}
}

// keysInGo reports each key the Go file at path names, and returns how many it found.
func keysInGo(path, rel string, areas map[string]bool, report func(key, where string)) (int, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
	if err != nil {
		return 0, err
	}
	skip := map[*ast.BasicLit]bool{}
	n := 0
	at := func(lit *ast.BasicLit) string {
		p := fset.Position(lit.Pos())
		return rel + ":" + strconv.Itoa(p.Line)
	}
	ast.Inspect(f, func(node ast.Node) bool {
		switch x := node.(type) {
		case *ast.CallExpr:
			// Audit actions ("entry.create", "admin.denied") look like keys.
			if name := calleeName(x.Fun); strings.EqualFold(name, "audit") {
				for _, a := range x.Args {
					if lit, ok := a.(*ast.BasicLit); ok {
						skip[lit] = true
					}
				}
			}
		case *ast.KeyValueExpr:
			// A string as a map's key is data ("status.pass" for verify.js), not a text key.
			if lit, ok := x.Key.(*ast.BasicLit); ok {
				skip[lit] = true
			}
			// The action of an audit entry (audit.Entry{Action: "entry.refund"}) is not a key.
			if id, ok := x.Key.(*ast.Ident); ok && id.Name == "Action" {
				if lit, ok := x.Value.(*ast.BasicLit); ok {
					skip[lit] = true
				}
			}
		case *ast.BinaryExpr:
			if lit, ok := x.X.(*ast.BasicLit); ok && x.Op == token.ADD && lit.Kind == token.STRING {
				prefix, _ := strconv.Unquote(lit.Value)
				skip[lit] = true
				if areas[strings.SplitN(prefix, ".", 2)[0]] && strings.Contains(prefix, ".") && keyShape.MatchString(strings.TrimRight(prefix, "._")) {
					n++
					if !hasPrefix(prefix) {
						report(prefix+"…", at(lit))
					}
				}
			}
		case *ast.BasicLit:
			if x.Kind != token.STRING || skip[x] {
				return true
			}
			v, err := strconv.Unquote(x.Value)
			if err != nil || !keyShape.MatchString(v) || !areas[strings.SplitN(v, ".", 2)[0]] || isFileName(v) {
				return true
			}
			n++
			report(v, at(x))
		}
		return true
	})
	return n, nil
}

func calleeName(fun ast.Expr) string {
	switch f := fun.(type) {
	case *ast.Ident:
		return f.Name
	case *ast.SelectorExpr:
		return f.Sel.Name
	}
	return ""
}

func isFileName(v string) bool {
	switch filepath.Ext(v) {
	case ".html", ".js", ".css", ".json", ".csv", ".txt", ".go", ".wasm":
		return true
	}
	return false
}

// hasPrefix reports whether some key in both languages starts with prefix.
func hasPrefix(prefix string) bool {
	for key := range catalog[RU] {
		if _, en := catalog[EN][key]; en && strings.HasPrefix(key, prefix) {
			return true
		}
	}
	return false
}

// stringConsts returns the values of the string constants of the package in dir whose names
// start with namePrefix.
func stringConsts(dir, namePrefix string) ([]string, error) {
	fset := token.NewFileSet()
	var out []string
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, e.Name()), nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		for _, decl := range f.Decls {
			g, ok := decl.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, spec := range g.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if !strings.HasPrefix(name.Name, namePrefix) || i >= len(vs.Values) {
						continue
					}
					if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
						v, _ := strconv.Unquote(lit.Value)
						out = append(out, v)
					}
				}
			}
		}
	}
	return out, nil
}
