package admin

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mymmrac/telego"

	"github.com/fairdraw/fairdraw/internal/i18n"
	"github.com/fairdraw/fairdraw/internal/raffle"
	"github.com/fairdraw/fairdraw/internal/telegram/tgui"
)

// Dialog kinds.
const (
	kindCreate  = "create"  // a new draw, step by step
	kindSetting = "setting" // a new value of one setting
	kindBan     = "ban"     // a user to ban, then a confirmation
	kindByHand  = "byhand"  // the note of money settled by hand (queue.go)
)

// Dialog is what an admin is in the middle of, kept in Redis by DialogStore.
type Dialog struct {
	Kind      string `json:"kind"`
	Step      string `json:"step"`
	Draft     Draft  `json:"draft,omitzero"`
	Setting   string `json:"setting,omitempty"`
	BanUser   int64  `json:"ban_user,omitempty"`
	BanReason string `json:"ban_reason,omitempty"`
	// ByHand is what the byhand dialog settles: "rf:<payment id>" or "po:<payout id>:<outcome>".
	ByHand string `json:"by_hand,omitempty"`
	// Input is the last update the dialog took (see screen.input).
	Input string `json:"input,omitempty"`
	// Version is the store's; buttons carry it, so a button of an earlier step is stale.
	Version int64 `json:"-"`
}

// Draft is a draw being created. Amounts are minor units; nil pointers are steps not answered.
type Draft struct {
	Title        string    `json:"title,omitempty"`
	Currency     string    `json:"currency,omitempty"`
	Fee          int64     `json:"fee,omitempty"`
	Min          int       `json:"min,omitempty"`
	Max          *int      `json:"max,omitempty"` // 0: no maximum
	Winners      int       `json:"winners,omitempty"`
	CommissionBP *int      `json:"commission_bp,omitempty"`
	Deadline     time.Time `json:"deadline,omitzero"`
	Mode         string    `json:"mode,omitempty"`
	Source       string    `json:"source,omitempty"`
	Prize        string    `json:"prize,omitempty"` // "": balance
}

// Steps of the create dialog, in order.
const (
	stepTitle      = "title"
	stepCurrency   = "currency"
	stepFee        = "fee"
	stepMin        = "min"
	stepMax        = "max"
	stepWinners    = "winners"
	stepCommission = "commission"
	stepDeadline   = "deadline"
	stepMode       = "mode"
	stepSource     = "source"
	stepConfirm    = "confirm"
	stepValue      = "value" // the setting dialog's only step
	stepUser       = "user"  // the ban dialog's first step
)

var createSteps = []string{stepTitle, stepCurrency, stepFee, stepMin, stepMax, stepWinners, stepCommission, stepDeadline, stepMode, stepSource, stepConfirm}

// Operations of dialog buttons: adm:d:<version>:<op>[:<value>].
const (
	opSet    = "set"    // the value is the answer
	opKeep   = "keep"   // keep the answer given before
	opBack   = "back"   // the step before
	opCancel = "cancel" // leave the dialog
	opOK     = "ok"     // confirm
)

// Limits of a draw as the dialog asks them: the domain's, which raffle.Params.Validate checks
// again when the draw is created. The dialog adds a minute's margin to the deadline, for the
// time it takes to confirm.
const (
	maxFeeXTR   = raffle.MaxFeeXTR
	minFeeRUB   = raffle.MinFeeRUB
	maxFeeRUB   = raffle.MaxFeeRUB
	maxMin      = raffle.MaxParticipants
	maxDeadline = raffle.MaxDeadlineAhead
	minDeadline = time.Minute
	maxTitle    = raffle.MaxTitleLen
	maxReason   = 200
)

// moscow is the zone Russian admins type times in (as i18n shows them).
var moscow = time.FixedZone("MSK", 3*60*60)

func dialogData(d Dialog, op string, value ...string) string {
	if len(value) > 0 {
		return tgui.Data(cbDialogValue, d.Version, op, value[0])
	}
	return tgui.Data(cbDialog, d.Version, op)
}

// save stores d as taking the input being handled; a conflict is told to the admin and
// reported as false.
func (p *Panel) save(ctx context.Context, s *screen, d Dialog) (Dialog, bool, error) {
	d.Input = s.input
	d, err := p.dialogs.Save(ctx, s.from.ID, d)
	if errors.Is(err, ErrConflict) {
		return d, false, s.answer(ctx, s.t("admin.dialog_conflict"), alert)
	}
	return d, err == nil, err
}

// begin starts a dialog of kind, replacing any dialog the admin was in.
func (p *Panel) begin(ctx context.Context, s *screen, d Dialog) (Dialog, bool, error) {
	old, ok, err := p.dialogs.Get(ctx, s.from.ID)
	if err != nil {
		return d, false, err
	}
	if ok {
		d.Version = old.Version
	}
	return p.save(ctx, s, d)
}

func (p *Panel) startCreate(ctx context.Context, s *screen) error {
	d, ok, err := p.begin(ctx, s, Dialog{Kind: kindCreate, Step: stepTitle})
	if err != nil || !ok {
		return err
	}
	return p.showStep(ctx, s, d, "")
}

// continueDialog shows the step the admin is at again (after /admin, a restart, a lost message).
func (p *Panel) continueDialog(ctx context.Context, s *screen) error {
	d, ok, err := p.dialogs.Get(ctx, s.from.ID)
	if err != nil {
		return err
	}
	if !ok {
		return s.answer(ctx, s.t("admin.stale"), alert)
	}
	return p.showStep(ctx, s, d, "")
}

// dialogInput handles text typed in a dialog.
func (p *Panel) dialogInput(ctx context.Context, s *screen, d Dialog, in string) error {
	switch d.Kind {
	case kindCreate:
		return p.createAnswer(ctx, s, d, in)
	case kindSetting:
		return p.settingAnswer(ctx, s, d, in)
	case kindBan:
		return p.banAnswer(ctx, s, d, in)
	case kindByHand:
		return p.byHandAnswer(ctx, s, d, in)
	}
	return fmt.Errorf("admin: dialog of unknown kind %q", d.Kind)
}

// dialogButton handles adm:d:<version>:<op>[:<value>].
func (p *Panel) dialogButton(ctx context.Context, s *screen) error {
	v, op, val := s.int("version"), s.text("op"), s.text("value")
	d, ok, err := p.dialogs.Get(ctx, s.from.ID)
	if err != nil {
		return err
	}
	if ok && d.Input == s.input {
		// Delivered again after a failure: the press was taken; show where the dialog is.
		return p.showStep(ctx, s, d, "")
	}
	if !ok || d.Version != v {
		return s.answer(ctx, s.t("admin.stale"), alert)
	}
	switch op {
	case opCancel:
		if err := p.dialogs.Delete(ctx, s.from.ID, d.Version); errors.Is(err, ErrConflict) {
			return s.answer(ctx, s.t("admin.stale"), alert)
		} else if err != nil {
			return err
		}
		if err := p.showMenu(ctx, s.from, s.chatID, s.editID); err != nil {
			return err
		}
		return s.answer(ctx, s.t("admin.cancelled"), toast)
	case opBack:
		return p.back(ctx, s, d)
	case opSet:
		return p.dialogInput(ctx, s, d, val)
	case opKeep:
		if d.Kind == kindCreate {
			return p.createAnswer(ctx, s, d, canon(d.Step, d.Draft))
		}
	case opPrize:
		return p.setDraftPrize(ctx, s, d, val)
	case opOK:
		switch d.Kind {
		case kindCreate:
			if d.Step == stepConfirm {
				return p.confirmCreate(ctx, s, d)
			}
		case kindBan:
			if d.Step == stepConfirm {
				return p.confirmBan(ctx, s, d)
			}
		}
	}
	return s.answer(ctx, s.t("admin.stale"), alert)
}

// back goes one step back; from the first step it leaves the dialog.
func (p *Panel) back(ctx context.Context, s *screen, d Dialog) error {
	prev := ""
	switch d.Kind {
	case kindCreate:
		if i := slices.Index(createSteps, d.Step); i > 0 {
			prev = createSteps[i-1]
		}
	case kindBan:
		if d.Step == stepConfirm {
			prev = stepUser
		}
	}
	if prev == "" {
		if err := p.dialogs.Delete(ctx, s.from.ID, d.Version); err != nil && !errors.Is(err, ErrConflict) {
			return err
		}
		return p.showMenu(ctx, s.from, s.chatID, s.editID)
	}
	d.Step = prev
	d, ok, err := p.save(ctx, s, d)
	if err != nil || !ok {
		return err
	}
	return p.showStep(ctx, s, d, "")
}

// showStep shows the question of the step d is at, after problem (what was wrong with the
// last answer) if any.
func (p *Panel) showStep(ctx context.Context, s *screen, d Dialog, problem string) error {
	var text string
	var kb [][]telego.InlineKeyboardButton
	var err error
	switch d.Kind {
	case kindCreate:
		text, kb, err = p.createPrompt(ctx, s, d)
	case kindSetting:
		text, kb, err = p.settingPrompt(ctx, s, d)
	case kindBan:
		text, kb, err = p.banPrompt(ctx, s, d)
	case kindByHand:
		text, kb = s.t("admin.q_note_ask"), [][]telego.InlineKeyboardButton{navRow(s, d)}
	default:
		return fmt.Errorf("admin: dialog of unknown kind %q", d.Kind)
	}
	if err != nil {
		return err
	}
	if problem != "" {
		text = "⚠️ " + problem + "\n\n" + text
	}
	return s.show(ctx, text, kb)
}

// navRow is the back and cancel row under every step.
func navRow(s *screen, d Dialog) []telego.InlineKeyboardButton {
	return tgui.Row(tgui.Button(s.t("admin.back"), dialogData(d, opBack)), tgui.Button(s.t("admin.cancel"), dialogData(d, opCancel)))
}

// createAnswer applies an answer to the step the create dialog is at: a problem re-asks the
// step, a good answer moves to the next.
func (p *Panel) createAnswer(ctx context.Context, s *screen, d Dialog, in string) error {
	if d.Step == stepConfirm {
		return p.showStep(ctx, s, d, s.t("admin.use_buttons"))
	}
	draft := d.Draft
	problem, err := p.parseStep(ctx, s, d.Step, in, &draft)
	if err != nil {
		return err
	}
	if problem != "" {
		if err := p.showStep(ctx, s, d, problem); err != nil {
			return err
		}
		return s.answer(ctx, problem, toast)
	}
	d.Draft = draft
	d.Step = createSteps[slices.Index(createSteps, d.Step)+1]
	d, ok, err := p.save(ctx, s, d)
	if err != nil || !ok {
		return err
	}
	return p.showStep(ctx, s, d, "")
}

// parseStep applies in, typed or a button's value, to draft at step. It returns what is wrong
// with it, "" when it is taken.
func (p *Panel) parseStep(ctx context.Context, s *screen, step, in string, draft *Draft) (string, error) {
	in = strings.TrimSpace(in)
	switch step {
	case stepTitle:
		n := utf8.RuneCountInString(in)
		if n == 0 || n > maxTitle || strings.HasPrefix(in, "/") {
			return s.t("admin.err_title", "max", maxTitle), nil
		}
		if raffle.TitleProblem(in) != "" {
			return s.t("admin.err_title_chars"), nil
		}
		draft.Title = in
	case stepCurrency:
		cur := strings.ToUpper(in)
		if !p.accepts(cur) {
			return s.t("admin.err_currency", "list", strings.Join(p.currencies, ", ")), nil
		}
		if cur != draft.Currency {
			draft.Fee, draft.CommissionBP, draft.Prize = 0, nil, "" // other units, other default; gifts are for Stars
		}
		draft.Currency = cur
	case stepFee:
		if draft.Currency == "XTR" {
			n, ok := parseFixed(in, 0)
			if !ok || n < 1 || n > maxFeeXTR {
				return s.t("admin.err_fee_xtr", "max", maxFeeXTR), nil
			}
			draft.Fee = n
			break
		}
		n, ok := parseFixed(in, 2)
		if !ok || n < minFeeRUB || n > maxFeeRUB {
			return s.t("admin.err_fee_rub", "min", i18n.Money(s.lang(), minFeeRUB, "RUB"), "max", i18n.Money(s.lang(), maxFeeRUB, "RUB")), nil
		}
		draft.Fee = n
	case stepMin:
		n, ok := parseFixed(in, 0)
		if !ok || n < 1 || n > maxMin {
			return s.t("admin.err_min", "max", maxMin), nil
		}
		draft.Min = int(n)
	case stepMax:
		m := 0
		switch strings.ToLower(in) {
		case "none", "-", "0", "нет", "no":
		default:
			n, ok := parseFixed(in, 0)
			if !ok || n < int64(draft.Min) || n > maxMin {
				return s.t("admin.err_max", "min", draft.Min, "max", maxMin), nil
			}
			m = int(n)
		}
		draft.Max = &m
	case stepWinners:
		n, ok := parseFixed(in, 0)
		if !ok || n < 1 || n > int64(draft.Min) {
			return s.t("admin.err_winners", "min", draft.Min), nil
		}
		draft.Winners = int(n)
	case stepCommission:
		var bp int64
		if in == "def" {
			def, err := p.settings.CommissionBP(ctx, draft.Currency)
			if err != nil {
				return "", err
			}
			bp = int64(def)
		} else {
			n, ok := parseFixed(strings.TrimSuffix(in, "%"), 2)
			if !ok || n > 10000 {
				return s.t("admin.err_commission"), nil
			}
			bp = n
		}
		c := int(bp)
		draft.CommissionBP = &c
	case stepDeadline:
		at, ok := parseDeadline(s.lang(), in, p.now())
		now := p.now()
		if !ok || at.Before(now.Add(minDeadline)) || at.After(now.Add(maxDeadline)) {
			return s.t("admin.err_deadline"), nil
		}
		draft.Deadline = at.UTC()
	case stepMode:
		if in != raffle.ModeDeadline && in != raffle.ModeInstant {
			return s.t("admin.use_buttons"), nil
		}
		draft.Mode = in
	case stepSource:
		if in != raffle.SourceRandomOrg && in != raffle.SourceDrand {
			return s.t("admin.use_buttons"), nil
		}
		draft.Source = in
	default:
		return s.t("admin.use_buttons"), nil
	}
	return "", nil
}

// canon is the answer already given at step, in the form parseStep takes; "" when none.
func canon(step string, d Draft) string {
	switch step {
	case stepTitle:
		return d.Title
	case stepCurrency:
		return d.Currency
	case stepFee:
		if d.Fee == 0 {
			return ""
		}
		if d.Currency == "RUB" {
			return fmt.Sprintf("%d.%02d", d.Fee/100, d.Fee%100)
		}
		return strconv.FormatInt(d.Fee, 10)
	case stepMin:
		if d.Min == 0 {
			return ""
		}
		return strconv.Itoa(d.Min)
	case stepMax:
		if d.Max == nil {
			return ""
		}
		if *d.Max == 0 {
			return "none"
		}
		return strconv.Itoa(*d.Max)
	case stepWinners:
		if d.Winners == 0 {
			return ""
		}
		return strconv.Itoa(d.Winners)
	case stepCommission:
		if d.CommissionBP == nil {
			return ""
		}
		return fmt.Sprintf("%d.%02d", *d.CommissionBP/100, *d.CommissionBP%100)
	case stepDeadline:
		if d.Deadline.IsZero() {
			return ""
		}
		return d.Deadline.Format(time.RFC3339)
	case stepMode:
		return d.Mode
	case stepSource:
		return d.Source
	}
	return ""
}

// given is the answer already given at step as the admin reads it; "" when none.
func given(l, step string, d Draft) string {
	if canon(step, d) == "" {
		return ""
	}
	switch step {
	case stepCurrency:
		return i18n.T(l, "admin.currency_"+d.Currency)
	case stepFee:
		return i18n.Money(l, d.Fee, d.Currency)
	case stepMax:
		if *d.Max == 0 {
			return i18n.T(l, "admin.no_max")
		}
	case stepCommission:
		return percent(l, *d.CommissionBP)
	case stepDeadline:
		return i18n.FormatTime(l, d.Deadline)
	case stepMode:
		return i18n.T(l, "admin.mode_"+d.Mode)
	case stepSource:
		return sourceName(d.Source)
	}
	return canon(step, d)
}

// createPrompt is the question of the create dialog's step, or the summary to confirm.
func (p *Panel) createPrompt(ctx context.Context, s *screen, d Dialog) (string, [][]telego.InlineKeyboardButton, error) {
	l := s.lang()
	if d.Step == stepConfirm {
		dr := d.Draft
		text := s.t("admin.create_summary", "title", dr.Title, "currency", given(l, stepCurrency, dr), "fee", given(l, stepFee, dr),
			"min", dr.Min, "max", given(l, stepMax, dr), "winners", dr.Winners, "commission", given(l, stepCommission, dr),
			"deadline", given(l, stepDeadline, dr), "mode", given(l, stepMode, dr), "source", given(l, stepSource, dr)) + prizeSummary(s, dr)
		kb := [][]telego.InlineKeyboardButton{tgui.Row(tgui.Button(s.t("admin.create_ok"), dialogData(d, opOK)))}
		if r := prizeRow(s, d); r != nil {
			kb = append(kb, r)
		}
		return text, append(kb, navRow(s, d)), nil
	}
	n := slices.Index(createSteps, d.Step)
	header := s.t("admin.step", "n", n+1, "of", len(createSteps)-1)
	var kb [][]telego.InlineKeyboardButton
	choice := func(label, value string) telego.InlineKeyboardButton {
		return tgui.Button(label, dialogData(d, opSet, value))
	}
	var question string
	switch d.Step {
	case stepTitle:
		question = s.t("admin.ask_title", "max", maxTitle)
	case stepCurrency:
		question = s.t("admin.ask_currency")
		var r []telego.InlineKeyboardButton
		for _, c := range p.currencies {
			r = append(r, choice(s.t("admin.currency_"+c), c))
		}
		kb = append(kb, r)
	case stepFee:
		if d.Draft.Currency == "RUB" {
			question = s.t("admin.ask_fee_rub")
		} else {
			question = s.t("admin.ask_fee_xtr", "max", maxFeeXTR)
		}
	case stepMin:
		question = s.t("admin.ask_min")
	case stepMax:
		question = s.t("admin.ask_max", "min", d.Draft.Min)
		kb = append(kb, tgui.Row(choice(s.t("admin.no_max"), "none")))
	case stepWinners:
		question = s.t("admin.ask_winners", "min", d.Draft.Min)
		kb = append(kb, tgui.Row(choice("1", "1")))
	case stepCommission:
		def, err := p.settings.CommissionBP(ctx, d.Draft.Currency)
		if err != nil {
			return "", nil, err
		}
		question = s.t("admin.ask_commission")
		kb = append(kb, tgui.Row(choice(s.t("admin.default_value", "value", percent(l, def)), "def")))
	case stepDeadline:
		question = s.t("admin.ask_deadline", "example", i18n.FormatTime(l, p.now().Add(72*time.Hour).Truncate(time.Hour)))
		kb = append(kb, tgui.Row(choice(s.t("admin.in_hours", "n", 1), "1h"), choice(s.t("admin.in_hours", "n", 24), "24h"),
			choice(s.t("admin.in_days", "n", 3), "3d"), choice(s.t("admin.in_days", "n", 7), "7d")))
	case stepMode:
		question = s.t("admin.ask_mode")
		kb = append(kb, tgui.Row(choice(s.t("admin.mode_deadline"), raffle.ModeDeadline)), tgui.Row(choice(s.t("admin.mode_instant"), raffle.ModeInstant)))
	case stepSource:
		question = s.t("admin.ask_source")
		kb = append(kb, tgui.Row(choice(sourceName(raffle.SourceRandomOrg), raffle.SourceRandomOrg), choice(sourceName(raffle.SourceDrand), raffle.SourceDrand)))
	}
	if v := given(l, d.Step, d.Draft); v != "" {
		kb = append(kb, tgui.Row(tgui.Button(s.t("admin.keep", "value", tgui.Truncate(v, 40)), dialogData(d, opKeep))))
	}
	kb = append(kb, navRow(s, d))
	return header + "\n" + question, kb, nil
}

// confirmCreate creates the draw. The dialog is deleted first, as a compare-and-set, so of two
// presses of the button only one creates a draw; if creating fails the dialog comes back.
func (p *Panel) confirmCreate(ctx context.Context, s *screen, d Dialog) error {
	if err := p.dialogs.Delete(ctx, s.from.ID, d.Version); errors.Is(err, ErrConflict) {
		return s.answer(ctx, s.t("admin.stale"), alert)
	} else if err != nil {
		return err
	}
	dr := d.Draft
	params := raffle.Params{
		Title: dr.Title, Currency: dr.Currency, Fee: dr.Fee, Min: dr.Min, Winners: dr.Winners,
		Deadline: dr.Deadline, Mode: dr.Mode, Source: dr.Source, CreatedBy: s.from.ID, Prize: dr.Prize,
	}
	if dr.Max != nil {
		params.Max = *dr.Max
	}
	if dr.CommissionBP != nil {
		params.CommissionBP = *dr.CommissionBP
	}
	draw, err := p.draws.Create(ctx, params, s.actor())
	if err != nil {
		d.Version = 0
		restored, serr := p.dialogs.Save(context.WithoutCancel(ctx), s.from.ID, d)
		if serr != nil {
			return errors.Join(err, serr)
		}
		bad, ok := errors.AsType[raffle.InvalidParams](err)
		if !ok {
			return err
		}
		// The domain refused the draft (its deadline passed while it waited): back to the
		// step that asks the first field refused.
		step, problem := refusedStep(s, dr, bad[0])
		if step != restored.Step {
			restored.Step = step
			if restored, err = p.dialogs.Save(context.WithoutCancel(ctx), s.from.ID, restored); err != nil {
				return err
			}
		}
		if err := p.showStep(ctx, s, restored, problem); err != nil {
			return err
		}
		return s.answer(ctx, problem, alert)
	}
	p.logger.Info("draw created from the panel", "draw_id", draw.ID, "admin_id", s.from.ID)
	return p.showDraw(ctx, s, draw.ID, s.t("admin.created", "id", draw.ID))
}

// refusedStep is the step of the create dialog that asks the field the domain refused, and
// what is wrong with it in the admin's language.
func refusedStep(s *screen, dr Draft, f raffle.FieldError) (step, problem string) {
	switch f.Field {
	case raffle.FieldTitle:
		return stepTitle, s.t("admin.err_title", "max", maxTitle)
	case raffle.FieldCurrency:
		return stepCurrency, s.t("admin.err_currency", "list", strings.Join(s.p.currencies, ", "))
	case raffle.FieldFee:
		if dr.Currency == "RUB" {
			return stepFee, s.t("admin.err_fee_rub", "min", i18n.Money(s.lang(), minFeeRUB, "RUB"), "max", i18n.Money(s.lang(), maxFeeRUB, "RUB"))
		}
		return stepFee, s.t("admin.err_fee_xtr", "max", maxFeeXTR)
	case raffle.FieldMin:
		return stepMin, s.t("admin.err_min", "max", maxMin)
	case raffle.FieldMax:
		return stepMax, s.t("admin.err_max", "min", dr.Min, "max", maxMin)
	case raffle.FieldWinners:
		return stepWinners, s.t("admin.err_winners", "min", dr.Min)
	case raffle.FieldCommissionBP:
		return stepCommission, s.t("admin.err_commission")
	case raffle.FieldDeadline:
		return stepDeadline, s.t("admin.err_deadline_passed")
	case raffle.FieldMode:
		return stepMode, s.t("admin.use_buttons")
	case raffle.FieldSource:
		return stepSource, s.t("admin.use_buttons")
	}
	return stepConfirm, s.t("admin.create_failed", "error", f.Error())
}

// parseFixed reads a non-negative decimal with at most decimals digits after the point (a
// comma is a point too; spaces group thousands) as an integer of 10^-decimals units.
func parseFixed(s string, decimals int) (int64, bool) {
	s = strings.ReplaceAll(strings.ReplaceAll(s, " ", ""), "\u00a0", "")
	s = strings.ReplaceAll(s, ",", ".")
	whole, frac, hasPoint := strings.Cut(s, ".")
	if whole == "" || (hasPoint && (frac == "" || len(frac) > decimals)) {
		return 0, false
	}
	for len(frac) < decimals {
		frac += "0"
	}
	digits := whole + frac
	if len(digits) > 15 || strings.IndexFunc(digits, func(r rune) bool { return r < '0' || r > '9' }) >= 0 {
		return 0, false
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	return n, err == nil
}

var (
	relativeRe = regexp.MustCompile(`^(\d+)(d|h|m)`)
	layouts    = []string{"02.01.2006 15:04", "2006-01-02 15:04", "2006-01-02T15:04", "02.01.2006"}
)

// parseDeadline reads a deadline: relative ("24h", "3d", "1d12h", "90m", also "3д", "5ч",
// "30мин"), or a date and time in the admin's zone (Moscow for Russian, UTC for English:
// "01.08.2026 18:00", "2026-08-01 18:00"), or RFC 3339.
func parseDeadline(l, in string, now time.Time) (time.Time, bool) {
	s := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(in), " ", ""))
	for _, r := range [][2]string{{"мин", "m"}, {"min", "m"}, {"ч", "h"}, {"д", "d"}, {"м", "m"}} {
		s = strings.ReplaceAll(s, r[0], r[1])
	}
	if s != "" && s[0] >= '0' && s[0] <= '9' && relativeRe.MatchString(s) {
		var total time.Duration
		rest := s
		for rest != "" {
			m := relativeRe.FindStringSubmatch(rest)
			if m == nil {
				return time.Time{}, false
			}
			n, err := strconv.ParseInt(m[1], 10, 64)
			if err != nil || n > 100_000 {
				return time.Time{}, false
			}
			unit := map[string]time.Duration{"d": 24 * time.Hour, "h": time.Hour, "m": time.Minute}[m[2]]
			total += time.Duration(n) * unit
			rest = rest[len(m[0]):]
		}
		return now.Add(total), true
	}
	if t, err := time.Parse(time.RFC3339, strings.TrimSpace(in)); err == nil {
		return t, true
	}
	zone := time.UTC
	if i18n.Lang(l) == i18n.RU {
		zone = moscow
	}
	for _, layout := range layouts {
		if t, err := time.ParseInLocation(layout, strings.Join(strings.Fields(in), " "), zone); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// percent shows basis points as a percentage: "7,50%" in Russian, "7.50%" in English.
func percent(l string, bp int) string {
	sep := ","
	if i18n.Lang(l) == i18n.EN {
		sep = "."
	}
	return fmt.Sprintf("%d%s%02d%%", bp/100, sep, bp%100)
}

func sourceName(source string) string {
	if source == raffle.SourceDrand {
		return "drand"
	}
	return "Random.org"
}
