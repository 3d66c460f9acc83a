package io.wavelb.core.admin;

/** A refused admin request: the HTTP status to answer and a message for the caller. */
public final class AdminException extends Exception {

    private static final long serialVersionUID = 1L;

    private final int status;

    public AdminException(int status, String message) {
        super(message);
        this.status = status;
    }

    public int status() {
        return status;
    }
}
