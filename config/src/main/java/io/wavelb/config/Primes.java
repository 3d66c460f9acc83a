package io.wavelb.config;

/**
 * Primality for Maglev table sizes, which are at most a few million: trial division is exact and
 * instant. Shared by config validation and the Maglev table itself.
 */
public final class Primes {

    private Primes() {
    }

    public static boolean isPrime(int n) {
        if (n < 2) {
            return false;
        }
        if (n % 2 == 0) {
            return n == 2;
        }
        for (int d = 3; (long) d * d <= n; d += 2) {
            if (n % d == 0) {
                return false;
            }
        }
        return true;
    }

    /** The smallest prime {@code >= n}. */
    public static int nextPrime(int n) {
        int candidate = Math.max(2, n);
        while (!isPrime(candidate)) {
            candidate++;
        }
        return candidate;
    }
}
