"""The networks: TFP variational layers and twins, ELBO training, the posterior predictive, uncertainty
maths and metrics, model cards and sha256-checked weights."""
