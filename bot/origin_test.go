package bot

import "testing"

// TestReadMeta: every window's private_metadata goes through one reader
// that refuses what the server never wrote (unknown fields, ids not of
// their shape, over-long metadata) and drops an origin that is not one.
func TestReadMeta(t *testing.T) {
	const contact, fp = "seD4PfOuKoVMLkEZqohJ", "0123456789abcdef"
	for _, tc := range []struct {
		name, meta string
		ok         bool
		origin     string
	}{
		{"delete window", `{"c":"` + contact + `","f":"` + fp + `","n":{},"m":"approval","v":"MABCDEFGH23"}`, true, "MABCDEFGH23"},
		{"fixed origin", `{"c":"` + contact + `","f":"` + fp + `","n":{},"v":"delete-window"}`, true, "delete-window"},
		{"forged origin dropped", `{"c":"` + contact + `","f":"` + fp + `","n":{},"v":"x\n<@U1> approved the delete"}`, true, ""},
		{"unknown field", `{"c":"` + contact + `","f":"` + fp + `","n":{},"via":"x"}`, false, ""},
		{"bad contact", `{"c":"a b","f":"` + fp + `","n":{}}`, false, ""},
		{"bad fingerprint", `{"c":"` + contact + `","f":"zz","n":{}}`, false, ""},
		{"no fingerprint", `{"c":"` + contact + `","n":{}}`, false, ""},
		{"bad channel", `{"c":"` + contact + `","f":"` + fp + `","n":{},"ch":"#general"}`, false, ""},
		{"bad mode", `{"c":"` + contact + `","f":"` + fp + `","n":{},"m":"admin"}`, false, ""},
		{"two objects", `{"c":"` + contact + `","f":"` + fp + `","n":{}}{}`, false, ""},
		{"too long", `{"c":"` + contact + `","f":"` + fp + `","n":{},"ru":"https://hooks.slack.com/` + string(make([]byte, maxMetadata)) + `"}`, false, ""},
	} {
		var m deleteMeta
		ok := readMeta(tc.meta, &m)
		if ok != tc.ok || ok && m.Origin != tc.origin {
			t.Errorf("%s: readMeta = %v, origin %q; want %v, %q", tc.name, ok, m.Origin, tc.ok, tc.origin)
		}
	}
	var a actionMeta
	if readMeta(`{"c":"`+contact+`","v":"button","extra":1}`, &a) {
		t.Error("Set DND window with an unknown field read")
	}
	var r reportMeta
	if readMeta(`{"d":"D1"}`, &r) || !readMeta(`{"d":"DABCDEFGH23"}`, &r) {
		t.Error("report window: deletion id not checked by its shape")
	}
	var mm mergeMeta
	if readMeta(`{"c":"`+contact+`","f":"`+fp+`","o":[{"i":"a b","f":"`+fp+`"}]}`, &mm) || readMeta(`{"c":"`+contact+`","f":"`+fp+`","o":[]}`, &mm) {
		t.Error("merge window: originals not checked")
	}
}
