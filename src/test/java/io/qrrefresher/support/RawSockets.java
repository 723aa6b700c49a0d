package io.qrrefresher.support;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;

/** Raw-socket helpers for the edge tests. */
public final class RawSockets {

    private RawSockets() {
    }

    /** Reads until the server closes the connection: true when it did (within the socket's read timeout). */
    public static boolean closedByServer(Socket socket) {
        try {
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[8192];
            while (in.read(buffer) >= 0) {
                // an answer, if any, then nothing until the server closes
            }
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }
}
