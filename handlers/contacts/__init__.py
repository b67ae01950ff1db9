"""The contact directory in chat: `wie` lookups, self-service, contactbeheer."""
