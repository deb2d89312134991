package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/haixi-hrss/fundledger/domain"
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
	var in OpenBatchRequest
	if err := decode(c, &in); err != nil {
		return err
	}
	r, err := s.begin(c)
	if err != nil {
		return err
	}
	cmd := paymentbatch.Open{BatchID: in.BatchID, Scope: in.Scope, Actor: r.p.Name, Role: r.p.Role, At: r.at}
	if _, err := paymentbatch.Decide(paymentbatch.State{}, cmd); err != nil {
		return err
	}
	res, err := ledger.Handle(c.Request().Context(), s.svc, schema.PaymentBatch(in.BatchID), r.env("open", "OpenPaymentBatch", calendar.Date{}, in), decideBatch(cmd))
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/v1/payment-batches/"+in.BatchID)
	return s.respond(r, created(res), res)
}

func decideBatch(cmd paymentbatch.Command) func(paymentbatch.State) ([]domain.Event, error) {
	return func(st paymentbatch.State) ([]domain.Event, error) { return paymentbatch.Decide(st, cmd) }
}

// batchCmd runs one command on the batch of the :batchId path parameter.
func batchCmd[In any](s *server, c echo.Context, name string, optional bool, build func(r *request, in In) paymentbatch.Command) error {
	var in In
	if err := decodeMaybe(c, &in, optional); err != nil {
		return err
	}
	r, err := s.begin(c)
	if err != nil {
		return err
	}
	id := c.Param("batchId")
	agg := schema.PaymentBatch(id)
	if _, err := mustExist(c.Request().Context(), s, agg, "batchId", "payment batch", id); err != nil {
		return err
	}
	res, err := ledger.Handle(c.Request().Context(), s.svc, agg, r.env(name, name, calendar.Date{}, in), decideBatch(build(r, in)))
	if err != nil {
		return err
	}
	return s.respond(r, created(res), res)
}

// decodeMaybe decodes the body, which may be absent when optional.
func decodeMaybe(c echo.Context, v any, optional bool) error {
	if optional && c.Request().ContentLength == 0 {
		return nil
	}
	return decode(c, v)
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
	var in EmptyRequest
	if err := decodeMaybe(c, &in, true); err != nil {
		return err
	}
	r, err := s.begin(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	id := c.Param("batchId")
	if _, err := mustExist(ctx, s, schema.PaymentBatch(id), "batchId", "payment batch", id); err != nil {
		return err
	}
	st, err := ledger.ReleaseBatch(ctx, s.svc, id, paymentbatch.Send{Actor: r.p.Name, Role: r.p.Role, At: r.at}, r.env("send", "SendPaymentBatch", calendar.Date{}, in))
	if err != nil {
		return err
	}
	if err := s.syncHead(ctx, 0); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, st)
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
	var in BatchResultsRequest
	if err := decode(c, &in); err != nil {
		return err
	}
	r, err := s.begin(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	id := c.Param("batchId")
	if _, err := mustExist(ctx, s, schema.PaymentBatch(id), "batchId", "payment batch", id); err != nil {
		return err
	}
	cmd := paymentbatch.RecordResults{Actor: r.p.Name, Role: r.p.Role, At: r.at}
	for _, res := range in.Results {
		cmd.Results = append(cmd.Results, paymentbatch.Result{ClaimID: res.ClaimID, Instalment: res.Instalment, PaymentID: res.PaymentID,
			Paid: res.Paid, BankRef: res.BankRef, Reason: res.Reason, On: res.On})
	}
	st, err := ledger.RecordBatchResults(ctx, s.svc, id, cmd, r.env("results", "RecordBatchResults", calendar.Date{}, in))
	if err != nil {
		return err
	}
	if err := s.syncHead(ctx, 0); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, st)
}

func (s *server) getBatch(c echo.Context) error {
	id := c.Param("batchId")
	st, err := mustExist(c.Request().Context(), s, schema.PaymentBatch(id), "batchId", "payment batch", id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, st)
}
