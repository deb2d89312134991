package fund

import (
	"regexp"
	"strings"
	"time"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/role"
)

// ReceiveTransfer records money transferred into the fund from a higher
// level under a document such as 财社〔2025〕12号.
type ReceiveTransfer struct {
	Document string
	Amount   money.Amount
	// Source names who sent the money, e.g. "青海省财政厅".
	Source     string
	ReceivedOn calendar.Date
	Actor      string
	Role       string
	At         time.Time
}

func (ReceiveTransfer) fundCommand() {}

// documentNumber is the official form <issuer>〔<year>〕<n>号, e.g.
// 财社〔2025〕12号 or 青财社字〔2025〕7号.
var documentNumber = regexp.MustCompile(`^[^\s〔〕]+〔(19|20)[0-9]{2}〕[1-9][0-9]*号$`)

func decideReceive(s State, c ReceiveTransfer) ([]domain.Event, error) {
	if !documentNumber.MatchString(c.Document) {
		return nil, domain.Invalid("document", "document-number", "%q is not a transfer document number such as 财社〔2025〕12号", c.Document)
	}
	if err := positive("amount", c.Amount); err != nil {
		return nil, err
	}
	if strings.TrimSpace(c.Source) == "" {
		return nil, domain.Invalid("source", "required", "the sender of the transfer is missing")
	}
	if c.ReceivedOn.IsZero() {
		return nil, domain.Invalid("receivedOn", "required", "the date the transfer was received is missing")
	}
	if err := role.Authorize(c.Actor, c.Role, c.At, role.Administrator); err != nil {
		return nil, err
	}
	if err := opened(s); err != nil {
		return nil, err
	}
	if _, dup := s.Documents[c.Document]; dup {
		return nil, domain.Reject("transfer-document-unique", "document", "transfer %s was already received into this fund", c.Document)
	}
	return []domain.Event{&TransferReceived{
		Document: c.Document, Amount: c.Amount, Source: c.Source, ReceivedOn: c.ReceivedOn,
		Actor: c.Actor, Role: c.Role, At: c.At,
	}}, nil
}
