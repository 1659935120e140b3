"""The CrossGuard policy pack (`PulumiPolicy.yaml`); the policies are in `policy.delivery`."""
