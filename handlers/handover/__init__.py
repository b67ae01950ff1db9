"""The warm handover when a measure ends (seed 004): the joint conversation and the
agreements on securing the results, as process `ov` in `scheduling/routes.yaml`."""
