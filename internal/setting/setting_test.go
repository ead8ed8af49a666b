package setting

import "testing"

func TestSpell(t *testing.T) {
	t.Cleanup(func() { spelled.Store(nil) })
	if got := Python.String(); got != "Options.Python" {
		t.Errorf("unspelled: %q, want the Options field", got)
	}
	for s := Python; s <= Challenge; s++ {
		if s.String() == "" {
			t.Errorf("setting %d has no name", s)
		}
	}
	Spell(map[Setting]string{Python: "--python"})
	if got := Python.String(); got != "--python" {
		t.Errorf("spelled: %q, want --python", got)
	}
	if got := Docker.String(); got != "the docker provider" {
		t.Errorf("left out of Spell: %q, want its own name", got)
	}
}
