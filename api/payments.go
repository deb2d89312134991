package api

import (
	"context"

	"github.com/labstack/echo/v4"

	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/ledger"
)

// ReleaseRequest sends one instalment of a disclosed claim to the bank
// under a payment ID new for every attempt.
type ReleaseRequest struct {
	Instalment int    `json:"instalment"`
	PaymentID  string `json:"paymentId"`
}

func (s *server) releasePayment(c echo.Context) error {
	return claimCmd(s, c, "ReleasePayment", nil, func(ctx context.Context, id string, r *request, in ReleaseRequest, env ledger.Command) (ledger.Result, error) {
		cmd := claim.ReleasePayment{Instalment: in.Instalment, PaymentID: in.PaymentID, Actor: r.p.Name, Role: r.p.Role, At: r.at}
		return ledger.ReleasePayment(ctx, s.svc, id, cmd, env)
	})
}

// PaymentResultRequest is the bank's answer for a payment in flight; the
// payment ID is the path's.
type PaymentResultRequest struct {
	Instalment int           `json:"instalment"`
	Paid       bool          `json:"paid"`
	BankRef    string        `json:"bankRef"`
	Reason     string        `json:"reason"`
	On         calendar.Date `json:"on"`
}

func (s *server) recordPaymentResult(c echo.Context) error {
	on := func(in PaymentResultRequest) calendar.Date { return in.On }
	return claimCmd(s, c, "RecordPaymentResult", on, func(ctx context.Context, id string, r *request, in PaymentResultRequest, env ledger.Command) (ledger.Result, error) {
		cmd := claim.RecordPaymentResult{Instalment: in.Instalment, PaymentID: c.Param("paymentId"), Paid: in.Paid,
			BankRef: in.BankRef, Reason: in.Reason, On: in.On, Actor: r.p.Name, Role: r.p.Role, At: r.at}
		return ledger.RecordPaymentResult(ctx, s.svc, id, cmd, env)
	})
}

// ClawbackRequest records money recovered (追回) from a paid claim's
// beneficiary.
type ClawbackRequest struct {
	RecoveryID string        `json:"recoveryId"`
	Amount     money.Amount  `json:"amount"`
	Reason     string        `json:"reason"`
	Detail     string        `json:"detail"`
	On         calendar.Date `json:"on"`
}

func (s *server) recordClawback(c echo.Context) error {
	on := func(in ClawbackRequest) calendar.Date { return in.On }
	return claimCmd(s, c, "RecordClawback", on, func(ctx context.Context, id string, r *request, in ClawbackRequest, env ledger.Command) (ledger.Result, error) {
		cmd := claim.RecordClawback{RecoveryID: in.RecoveryID, Amount: in.Amount, Reason: in.Reason, Detail: in.Detail,
			On: in.On, Actor: r.p.Name, Role: r.p.Role, At: r.at}
		return ledger.RecordClawback(ctx, s.svc, id, cmd, env)
	})
}
