package api

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/paymentbatch"
	"github.com/haixi-hrss/fundledger/ledger"
	"github.com/haixi-hrss/fundledger/ledger/schema"
)

// OpenBatchRequest opens a payment batch paying from one fund or budget
// line.
type OpenBatchRequest struct {
	BatchID string             `json:"batchId"`
	Scope   paymentbatch.Scope `json:"scope"`
}

func (s *server) openBatch(c echo.Context) error {
	return runOne(s, c, oneCommand[OpenBatchRequest, paymentbatch.State, paymentbatch.Command]{
		name: "OpenPaymentBatch", step: "open",
		created: func(in OpenBatchRequest) (ledger.Aggregate[paymentbatch.State], string, error) {
			return schema.PaymentBatch(in.BatchID), "/v1/payment-batches/" + in.BatchID, nil
		},
		command: func(r *request, in OpenBatchRequest) paymentbatch.Command {
			return paymentbatch.Open{BatchID: in.BatchID, Scope: in.Scope, Actor: r.p.Name, Role: r.p.Role, At: r.at}
		},
		decide: paymentbatch.Decide,
	})
}

// batchCmd runs one command on the batch of the :batchId path parameter.
func batchCmd[In any](s *server, c echo.Context, name string, emptyBody bool, command func(r *request, in In) paymentbatch.Command) error {
	return runOne(s, c, oneCommand[In, paymentbatch.State, paymentbatch.Command]{
		name: name, emptyBody: emptyBody,
		existing: schema.PaymentBatch, param: "batchId", what: "payment batch",
		command: command, decide: paymentbatch.Decide,
	})
}

// batchProcess runs a ledger process on the batch of the :batchId path
// parameter and its items' claims, and answers with the batch as it then
// stands.
func batchProcess[In any](s *server, c echo.Context, emptyBody bool,
	run func(ctx context.Context, id string, r *request, in In) (paymentbatch.State, error)) error {
	var in In
	if err := decodeMaybe(c, &in, emptyBody); err != nil {
		return err
	}
	r, err := s.begin(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	id := c.Param("batchId")
	if err := exists(ctx, s, schema.PaymentBatch(id).Stream, "batchId", "payment batch", id); err != nil {
		return err
	}
	st, err := run(ctx, id, r, in)
	if err != nil {
		return err
	}
	// The process appends to the claims' streams too.
	if err := s.syncHead(ctx, 0); err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, st)
}

// BatchItemRequest puts one claim instalment in an open batch.
type BatchItemRequest struct {
	ClaimID        string       `json:"claimId"`
	Instalment     int          `json:"instalment"`
	PaymentID      string       `json:"paymentId"`
	Amount         money.Amount `json:"amount"`
	BudgetLineID   string       `json:"budgetLineId"`
	BeneficiaryRef string       `json:"beneficiaryRef"`
}

func (s *server) addBatchItem(c echo.Context) error {
	return batchCmd(s, c, "AddBatchItem", false, func(r *request, in BatchItemRequest) paymentbatch.Command {
		return paymentbatch.AddItem{ClaimID: in.ClaimID, Instalment: in.Instalment, PaymentID: in.PaymentID, Amount: in.Amount,
			BudgetLineID: in.BudgetLineID, BeneficiaryRef: in.BeneficiaryRef, Actor: r.p.Name, Role: r.p.Role, At: r.at}
	})
}

// EmptyRequest is the body of a command with no input: {} or none.
type EmptyRequest struct{}

func (s *server) closeBatch(c echo.Context) error {
	return batchCmd(s, c, "ClosePaymentBatch", true, func(r *request, _ EmptyRequest) paymentbatch.Command {
		return paymentbatch.Close{Actor: r.p.Name, Role: r.p.Role, At: r.at}
	})
}

// sendBatch orders a closed batch paid and releases its items' claims.
func (s *server) sendBatch(c echo.Context) error {
	return batchProcess(s, c, true, func(ctx context.Context, id string, r *request, in EmptyRequest) (paymentbatch.State, error) {
		send := paymentbatch.Send{Actor: r.p.Name, Role: r.p.Role, At: r.at}
		return ledger.ReleaseBatch(ctx, s.svc, id, send, r.env("send", "SendPaymentBatch", calendar.Date{}, in))
	})
}

// BatchResult is the bank's answer for one item.
type BatchResult struct {
	ClaimID    string        `json:"claimId"`
	Instalment int           `json:"instalment"`
	PaymentID  string        `json:"paymentId"`
	Paid       bool          `json:"paid"`
	BankRef    string        `json:"bankRef"`
	Reason     string        `json:"reason"`
	On         calendar.Date `json:"on"`
}

// BatchResultsRequest carries the bank's answer file for a sent batch.
type BatchResultsRequest struct {
	Results []BatchResult `json:"results"`
}

func (s *server) recordBatchResults(c echo.Context) error {
	return batchProcess(s, c, false, func(ctx context.Context, id string, r *request, in BatchResultsRequest) (paymentbatch.State, error) {
		cmd := paymentbatch.RecordResults{Actor: r.p.Name, Role: r.p.Role, At: r.at}
		for _, res := range in.Results {
			cmd.Results = append(cmd.Results, paymentbatch.Result{ClaimID: res.ClaimID, Instalment: res.Instalment, PaymentID: res.PaymentID,
				Paid: res.Paid, BankRef: res.BankRef, Reason: res.Reason, On: res.On})
		}
		return ledger.RecordBatchResults(ctx, s.svc, id, cmd, r.env("results", "RecordBatchResults", calendar.Date{}, in))
	})
}

func (s *server) getBatch(c echo.Context) error {
	id := c.Param("batchId")
	st, err := mustExist(c.Request().Context(), s, schema.PaymentBatch(id), "batchId", "payment batch", id)
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, st)
}
