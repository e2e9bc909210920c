package shell

import (
	"bufio"
	"context"
	"errors"
	"io"
	"strings"

	"github.com/chzyer/readline"
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
// keys, Ctrl-A/E, Ctrl-W…) and history of this session (kept in memory
// only: typed lines hold contact details), with chzyer/readline. Ctrl-C is
// ErrInterrupt, Ctrl-D io.EOF. Write what the shell shows to Out, which
// keeps the line being typed intact when the bot prints meanwhile.
type Terminal struct {
	rl *readline.Instance
}

// NewTerminal starts line editing on cfg's terminal (the process's by
// default: leave Stdin, Stdout and the Func* fields nil). Close it at the end.
func NewTerminal(cfg *readline.Config) (*Terminal, error) {
	cfg.HistoryFile = ""
	// Control characters typed or pasted into the line are dropped rather
	// than echoed raw (an ESC would start an escape sequence); the keys
	// readline handles itself (arrows, Ctrl-A…) still arrive.
	filter := cfg.FuncFilterInputRune
	cfg.FuncFilterInputRune = func(r rune) (rune, bool) {
		if filter != nil {
			var ok bool
			if r, ok = filter(r); !ok {
				return r, false
			}
		}
		if (r > 0 && r < 0x20 && !editingKeys[r]) || (r >= 0x80 && r < 0xa0) {
			return r, false
		}
		return r, true
	}
	if cfg.FuncGetWidth == nil {
		// A terminal that reports no width (a fresh pty, some CI consoles)
		// would leave readline dividing by zero columns: assume 80.
		cfg.FuncGetWidth = func() int {
			if w := readline.GetScreenWidth(); w > 0 {
				return w
			}
			return 80
		}
	}
	rl, err := readline.NewEx(cfg)
	if err != nil {
		return nil, err
	}
	return &Terminal{rl: rl}, nil
}

// Out is where the shell writes while the terminal reads.
func (t *Terminal) Out() io.Writer { return t.rl.Stdout() }

// ReadLine reads one edited line.
func (t *Terminal) ReadLine(prompt string) (string, error) {
	t.rl.SetPrompt(sanitize(prompt))
	line, err := t.rl.Readline()
	switch {
	case errors.Is(err, readline.ErrInterrupt):
		return "", ErrInterrupt
	case err != nil:
		return "", io.EOF
	}
	return line, nil
}

// Close ends line editing and gives the terminal back as it was.
func (t *Terminal) Close() error { return t.rl.Close() }

// editingKeys are the control characters readline acts on (Ctrl-A, Ctrl-E,
// Ctrl-C, Enter, Backspace, the arrows it translates escape sequences
// into…); 0 is its end of input. Any other is dropped from typed lines.
var editingKeys = map[rune]bool{
	readline.CharLineStart: true, readline.CharBackward: true, readline.CharInterrupt: true, readline.CharDelete: true,
	readline.CharLineEnd: true, readline.CharForward: true, readline.CharBell: true, readline.CharCtrlH: true,
	readline.CharTab: true, readline.CharCtrlJ: true, readline.CharKill: true, readline.CharCtrlL: true,
	readline.CharEnter: true, readline.CharNext: true, readline.CharPrev: true, readline.CharBckSearch: true,
	readline.CharFwdSearch: true, readline.CharTranspose: true, readline.CharCtrlU: true, readline.CharCtrlW: true,
	readline.CharCtrlY: true, readline.CharCtrlZ: true, readline.CharEsc: true,
}

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
