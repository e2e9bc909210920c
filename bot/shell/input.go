package shell

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/term"
)

// ErrInterrupt is what a LineReader returns when the person presses Ctrl-C:
// inside a window it cancels the window; at the prompt it drops the line.
var ErrInterrupt = errors.New("interrupted")

// LineReader is where the shell reads what the person types.
type LineReader interface {
	// ReadLine shows prompt and returns the next line without its newline;
	// ErrInterrupt on Ctrl-C, io.EOF at the end of input (Ctrl-D).
	ReadLine(prompt string) (string, error)
}

// pipeReader reads lines from a pipe or file, printing each prompt itself
// (and, with echo, the line after it, so that a script's output reads like
// a terminal session).
type pipeReader struct {
	s     *Shell
	ctx   context.Context
	lines chan string
	err   chan error
}

func newPipeReader(ctx context.Context, s *Shell, in io.Reader) *pipeReader {
	r := &pipeReader{s: s, ctx: ctx, lines: make(chan string), err: make(chan error, 1)}
	go func() {
		sc := bufio.NewScanner(in)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			select {
			case r.lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
		r.err <- sc.Err()
		close(r.lines)
	}()
	return r
}

func (r *pipeReader) ReadLine(prompt string) (string, error) {
	r.s.printf("%s", prompt)
	select {
	case line, ok := <-r.lines:
		if !ok {
			r.s.printf("\n")
			if err := <-r.err; err != nil {
				return "", err
			}
			return "", io.EOF
		}
		if r.s.opts.Echo {
			r.s.printf("%s\n", line)
		}
		return line, nil
	case <-r.ctx.Done():
		r.s.printf("\n")
		return "", io.EOF
	}
}

// Terminal is a LineReader for a person at a terminal: line editing (arrow
// keys, Ctrl-A/E, Ctrl-W, Ctrl-U…) and history of this session (kept in
// memory only: typed lines hold contact details), with golang.org/x/term.
// Ctrl-C is ErrInterrupt, Ctrl-D on an empty line io.EOF. Write what the
// shell shows to Out, which keeps the line being typed intact when the bot
// prints meanwhile.
//
// x/term's Terminal answers both Ctrl-C and Ctrl-D with io.EOF, and after
// either it still holds the line and the keys it was reading (a second
// ReadLine would run them again). So Ctrl-C never reaches it: the keyboard
// in front of it turns the key into errInterrupt, and the Terminal is then
// replaced by a fresh one that shares the history.
type Terminal struct {
	kb      *keyboard
	out     io.Writer
	width   func() int
	restore func() error
	history *history
	closed  sync.Once

	mu sync.Mutex // guards vt, and orders writes with its replacement
	vt *term.Terminal
}

// TerminalConfig is what a Terminal reads keys from and draws on.
type TerminalConfig struct {
	// In delivers the keys as the terminal sends them (raw mode: Enter is
	// \r, the arrows escape sequences).
	In io.Reader
	// Out is the screen.
	Out io.Writer
	// Width reports the screen's columns, asked before each line and each
	// read of keys (so a resized window is followed). Nil, or a terminal
	// reporting 0 columns (a fresh pty, some CI consoles), means 80.
	Width func() int
	// Restore, if set, is called by Close to give the terminal back as it
	// was (OpenTerminal's raw mode).
	Restore func() error
}

// NewTerminal starts line editing on cfg's keyboard and screen. Close it at
// the end. OpenTerminal is the process's terminal.
func NewTerminal(cfg TerminalConfig) *Terminal {
	t := &Terminal{kb: newKeyboard(cfg.In), out: cfg.Out, width: cfg.Width, restore: cfg.Restore, history: &history{}}
	t.vt = t.newVT()
	return t
}

// OpenTerminal is a Terminal on the process's terminal: in (a terminal) is
// put in raw mode until Close, so that Ctrl-C arrives as a key (it cancels a
// window) rather than a signal, and no key is echoed but by the Terminal.
func OpenTerminal(in *os.File, out io.Writer) (*Terminal, error) {
	fd := int(in.Fd())
	state, err := term.MakeRaw(fd)
	if err != nil {
		return nil, fmt.Errorf("put the terminal in raw mode: %w", err)
	}
	sizeFd := fd
	if f, ok := out.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		sizeFd = int(f.Fd()) // the width of the screen written to
	}
	return NewTerminal(TerminalConfig{
		In: in, Out: out,
		Width: func() int {
			w, _, err := term.GetSize(sizeFd)
			if err != nil {
				return 0
			}
			return w
		},
		Restore: func() error { return term.Restore(fd, state) },
	}), nil
}

// newVT is an x/term Terminal on t's keyboard and screen, with t's history.
func (t *Terminal) newVT() *term.Terminal {
	vt := term.NewTerminal(screen{t}, "")
	vt.History = t.history
	return vt
}

func (t *Terminal) current() *term.Terminal {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.vt
}

// Out is where the shell writes while the terminal reads: lines end in
// \r\n (raw mode does not add the \r), and a line being typed is redrawn
// below what was written.
func (t *Terminal) Out() io.Writer { return output{t} }

type output struct{ t *Terminal }

func (o output) Write(p []byte) (int, error) {
	o.t.mu.Lock()
	defer o.t.mu.Unlock()
	return o.t.vt.Write(p)
}

// screen is what x/term reads keys from and draws on.
type screen struct{ t *Terminal }

func (s screen) Read(p []byte) (int, error) {
	s.t.fitWidth()
	return s.t.kb.Read(p)
}

func (s screen) Write(p []byte) (int, error) { return s.t.out.Write(p) }

// fitWidth tells x/term the screen's width. A width of 0 would have it
// wrap after every character: a terminal that reports none gets 80.
func (t *Terminal) fitWidth() {
	w := 0
	if t.width != nil {
		w = t.width()
	}
	if w <= 0 {
		w = 80
	}
	t.current().SetSize(w, 24) // the height is not used for one line
}

// ReadLine reads one edited line.
func (t *Terminal) ReadLine(prompt string) (string, error) {
	for {
		vt := t.current()
		vt.SetPrompt(sanitize(prompt))
		t.fitWidth()
		line, err := vt.ReadLine()
		switch {
		case err == nil:
			return line, nil
		case errors.Is(err, errInterrupt):
			t.restart("^C")
			return "", ErrInterrupt
		case errors.Is(err, errJammed):
			// An escape sequence that never ended filled x/term's
			// buffer: drop it with the line, and read again.
			t.restart("")
			continue
		case errors.Is(err, io.EOF): // Ctrl-D on an empty line, or the keyboard closed
			t.endLine()
			return "", io.EOF
		default:
			return "", fmt.Errorf("read the terminal: %w", err)
		}
	}
}

// restart ends the line on the screen after mark and replaces the x/term
// Terminal, which still holds the dropped line, by a fresh one.
func (t *Terminal) restart(mark string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	io.WriteString(t.out, mark+"\r\n")
	t.vt = t.newVT()
}

// endLine moves below the prompt, so that what comes after the shell
// starts on a line of its own.
func (t *Terminal) endLine() {
	t.mu.Lock()
	defer t.mu.Unlock()
	io.WriteString(t.out, "\r\n")
}

// Close ends line editing (a ReadLine waiting for keys returns io.EOF) and
// gives the terminal back as it was.
func (t *Terminal) Close() error {
	var err error
	t.closed.Do(func() {
		t.kb.close()
		if t.restore != nil {
			err = t.restore()
		}
	})
	return err
}

// errInterrupt is the keyboard's Ctrl-C; errJammed says x/term has no room
// left for keys (see keyboard.Read).
var (
	errInterrupt = errors.New("ctrl-c")
	errJammed    = errors.New("the line editor's input buffer is full")
)

// keyCtrlC is the byte Ctrl-C sends in raw mode.
const keyCtrlC = 0x03

// keyboard sits between the terminal and x/term: it hands on the keys as
// they came, except that Ctrl-C becomes errInterrupt and C1 control
// characters (U+0080–U+009F; U+009B acts as ESC [ on some terminals) and
// broken UTF-8 are dropped: x/term would echo them raw (it drops C0
// controls itself). It reads in its own goroutine, so that Close can end a
// ReadLine that waits for keys.
type keyboard struct {
	chunks  chan []byte
	readErr error // set before chunks is closed
	done    chan struct{}
	once    sync.Once
	pending []byte // read, not yet handed on; only ReadLine's goroutine uses it
}

func newKeyboard(in io.Reader) *keyboard {
	k := &keyboard{chunks: make(chan []byte), done: make(chan struct{})}
	go func() {
		for {
			buf := make([]byte, 256)
			n, err := in.Read(buf)
			if n > 0 {
				select {
				case k.chunks <- buf[:n]:
				case <-k.done:
					return
				}
			}
			if err != nil {
				k.readErr = err
				close(k.chunks)
				return
			}
		}
	}()
	return k
}

func (k *keyboard) close() { k.once.Do(func() { close(k.done) }) }

// Read hands on the next keys; a Ctrl-C alone, as errInterrupt, after the
// keys before it.
func (k *keyboard) Read(p []byte) (int, error) {
	if len(p) == 0 {
		// x/term keeps an unfinished key sequence and reads after it into
		// a 256-byte buffer; only an escape sequence that never ends fills
		// it, and an empty read would have it ask again forever.
		return 0, errJammed
	}
	for {
		if n, err := k.take(p); n > 0 || err != nil {
			return n, err
		}
		select {
		case c, ok := <-k.chunks:
			if !ok {
				// The end of input; an unfinished character is dropped.
				if k.readErr != nil && !errors.Is(k.readErr, io.EOF) {
					return 0, fmt.Errorf("read keys: %w", k.readErr)
				}
				return 0, io.EOF
			}
			k.pending = append(k.pending, c...)
		case <-k.done:
			return 0, io.EOF
		}
	}
}

// take moves keys from pending to p, up to a Ctrl-C (which it returns
// alone, as errInterrupt) or an unfinished UTF-8 sequence, dropping C1
// controls and broken UTF-8.
func (k *keyboard) take(p []byte) (int, error) {
	n, i := 0, 0
	for i < len(k.pending) && n < len(p) {
		b := k.pending[i]
		if b == keyCtrlC {
			if n == 0 {
				k.pending = k.pending[i+1:]
				return 0, errInterrupt
			}
			break
		}
		if b < utf8.RuneSelf {
			p[n] = b
			n, i = n+1, i+1
			continue
		}
		if !utf8.FullRune(k.pending[i:]) {
			break // the rest of the character is still to come
		}
		r, size := utf8.DecodeRune(k.pending[i:])
		if (r == utf8.RuneError && size == 1) || (r >= 0x80 && r < 0xa0) {
			i += size
			continue
		}
		if n+size > len(p) {
			if n == 0 {
				// Not even one character fits: x/term's buffer is as good
				// as full of an unfinished sequence.
				return 0, errJammed
			}
			break
		}
		n += copy(p[n:], k.pending[i:i+size])
		i += size
	}
	k.pending = k.pending[i:]
	return n, nil
}

// history is the session's lines for the up arrow: in memory only, the
// last 100, without empty lines or a line repeated right after itself.
type history struct{ lines []string }

func (h *history) Add(line string) {
	if strings.TrimSpace(line) == "" || (len(h.lines) > 0 && h.lines[len(h.lines)-1] == line) {
		return
	}
	h.lines = append(h.lines, line)
	if len(h.lines) > 100 {
		h.lines = h.lines[1:]
	}
}

func (h *history) Len() int { return len(h.lines) }

// At is the idx-th line back, 0 the latest.
func (h *history) At(idx int) string { return h.lines[len(h.lines)-1-idx] }

// sanitize shows control characters harmlessly: as the Unicode control
// pictures (ESC as ␛) for C0 and DEL, as U+FFFD for C1 (a single byte that
// some terminals read as ESC [). Newlines and tabs stay.
func sanitize(s string) string {
	clean := true
	for _, r := range s {
		if isControl(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case !isControl(r):
			b.WriteRune(r)
		case r < 0x20:
			b.WriteRune(0x2400 + r)
		case r == 0x7f:
			b.WriteRune('␡')
		default:
			b.WriteRune('\uFFFD')
		}
	}
	return b.String()
}

func isControl(r rune) bool {
	return (r < 0x20 && r != '\n' && r != '\t') || r == 0x7f || (r >= 0x80 && r < 0xa0)
}
