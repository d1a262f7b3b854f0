package telegramtest

// CompletePayment makes Telegram complete a Stars payment of amount by u for an invoice with
// payload, with no pre-checkout query first, and delivers its successful_payment update; it
// returns the charge id. It stands for a payment whose pre-checkout was answered earlier and
// that arrives late (after the draw closed, say) or is delivered again after a crash. u must
// have talked to the bot.
func (s *Server) CompletePayment(u User, amount int64, payload string) string {
	return s.completePayment(u, amount, payload)
}

// RedeliverPayment delivers the successful_payment update of an earlier payment again, as a
// new update, as Telegram may after a webhook answer was lost. It reports whether the charge
// is known.
func (s *Server) RedeliverPayment(chargeID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.payments[chargeID]
	if !ok {
		return false
	}
	m := s.appendMessage(s.chats[p.User.ID], &Message{
		From: &p.User, Chat: privateChat(p.User),
		SuccessfulPayment: &SuccessfulPayment{
			Currency: "XTR", TotalAmount: p.Amount, InvoicePayload: p.Payload, TelegramPaymentChargeID: chargeID,
		},
	})
	s.enqueue("message", m)
	return true
}
