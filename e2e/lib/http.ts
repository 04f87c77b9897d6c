// One HTTP GET with a time limit, for asking a program what it serves.
import * as http from "http";

export interface Reply {
    status: number;
    headers: http.IncomingHttpHeaders;
    body: string;
    ms: number;
}

export function get(host: string, port: number, path: string, timeoutMs = 5000): Promise<Reply> {
    return new Promise((resolve, reject) => {
        const t0 = Date.now();
        const req = http.request({ host, port, path, method: "GET", agent: false }, (res) => {
            let body = "";
            res.setEncoding("utf8");
            res.on("data", (c: string) => (body += c));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, ms: Date.now() - t0 }));
        });
        req.on("error", reject);
        req.setTimeout(timeoutMs, () => req.destroy(new Error(`GET ${host}:${port}${path}: no answer in ${timeoutMs} ms`)));
        req.end();
    });
}
