package io.qrrefresher.edge;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import io.netty.util.NetUtil;

/**
 * The address of the client behind a request: the TCP peer, unless that peer is one of the trusted proxies
 * ({@code TRUSTED_PROXIES}, CIDRs), in which case the forwarding chain it wrote ({@code X-Forwarded-For}, or else
 * {@code Forwarded: for=}) is read from the right, past every trusted hop: the right-most address that is not a trusted
 * proxy is the client. What an untrusted peer writes in those headers is never read, so a client cannot choose the
 * address its failed attempts are counted against. Addresses are parsed as literals only (no DNS).
 */
public final class ClientAddresses {

    private record Cidr(byte[] network, int bits) {
        boolean contains(byte[] address) {
            if (address.length != network.length) {
                return false;
            }
            int full = bits / 8;
            for (int i = 0; i < full; i++) {
                if (address[i] != network[i]) {
                    return false;
                }
            }
            int rest = bits % 8;
            if (rest == 0) {
                return true;
            }
            int mask = (0xFF << (8 - rest)) & 0xFF;
            return (address[full] & mask) == (network[full] & mask);
        }
    }

    private final List<Cidr> trusted;

    /** @throws IllegalArgumentException naming the first entry that is not an address or a CIDR */
    public ClientAddresses(List<String> trustedProxies) {
        List<Cidr> parsed = new ArrayList<>();
        for (String entry : trustedProxies) {
            if (!entry.isBlank()) {
                parsed.add(cidr(entry.trim()));
            }
        }
        this.trusted = List.copyOf(parsed);
    }

    /** The client's address for a request from {@code peer} carrying these forwarding headers (each may be null). */
    public String client(String peer, List<String> xForwardedFor, List<String> forwarded) {
        if (peer == null || !isTrusted(peer)) {
            return peer == null ? "unknown" : peer;
        }
        List<String> chain = xForwardedFor != null && !xForwardedFor.isEmpty() ? hops(xForwardedFor)
                : forwarded != null && !forwarded.isEmpty() ? forwardedFor(forwarded) : List.of();
        String nearest = peer;
        for (int i = chain.size() - 1; i >= 0; i--) {
            String hop = literal(chain.get(i));
            if (hop == null) {
                // a hop that is not an address (unknown, obfuscated, garbage): the last trusted one is all we know
                return nearest;
            }
            if (!isTrusted(hop)) {
                return hop;
            }
            nearest = hop;
        }
        return nearest;
    }

    public boolean isTrusted(String address) {
        if (trusted.isEmpty()) {
            return false;
        }
        byte[] bytes = NetUtil.createByteArrayFromIpAddressString(address);
        if (bytes == null) {
            return false;
        }
        for (Cidr cidr : trusted) {
            if (cidr.contains(bytes)) {
                return true;
            }
        }
        return false;
    }

    public boolean hasTrustedProxies() {
        return !trusted.isEmpty();
    }

    private static Cidr cidr(String entry) {
        int slash = entry.indexOf('/');
        String address = slash < 0 ? entry : entry.substring(0, slash);
        byte[] bytes = NetUtil.createByteArrayFromIpAddressString(address);
        if (bytes == null) {
            throw new IllegalArgumentException("'" + entry + "' is not an IP address or CIDR (e.g. 10.0.0.0/8)");
        }
        int bits = bytes.length * 8;
        if (slash >= 0) {
            try {
                bits = Integer.parseInt(entry.substring(slash + 1));
            } catch (NumberFormatException e) {
                bits = -1;
            }
            if (bits < 0 || bits > bytes.length * 8) {
                throw new IllegalArgumentException("'" + entry + "' has a prefix length outside 0.."
                        + bytes.length * 8);
            }
        }
        return new Cidr(bytes, bits);
    }

    private static List<String> hops(List<String> headers) {
        List<String> hops = new ArrayList<>();
        for (String header : headers) {
            for (String hop : header.split(",")) {
                hops.add(hop.trim());
            }
        }
        return hops;
    }

    /** The {@code for=} of each element of RFC 7239 {@code Forwarded} headers, in order. */
    private static List<String> forwardedFor(List<String> headers) {
        List<String> hops = new ArrayList<>();
        for (String element : hops(headers)) {
            String found = "";
            for (String pair : element.split(";")) {
                int equals = pair.indexOf('=');
                if (equals > 0 && pair.substring(0, equals).trim().toLowerCase(Locale.ROOT).equals("for")) {
                    found = pair.substring(equals + 1).trim();
                }
            }
            hops.add(found);
        }
        return hops;
    }

    /** The address literal in a hop ({@code 1.2.3.4}, {@code 1.2.3.4:80}, {@code "[::1]:80"}, {@code ::1}), or null. */
    static String literal(String hop) {
        String value = hop.trim();
        if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
            value = value.substring(1, value.length() - 1);
        }
        if (value.startsWith("[")) {
            int end = value.indexOf(']');
            value = end < 0 ? "" : value.substring(1, end);
        } else if (value.indexOf(':') == value.lastIndexOf(':') && value.indexOf(':') > 0) {
            value = value.substring(0, value.indexOf(':'));
        }
        byte[] bytes = NetUtil.createByteArrayFromIpAddressString(value);
        return bytes == null ? null : value;
    }
}
