import Foundation
import Hummingbird
import HTTPTypes
import AmoSyncCore

/// An intake failure as the client sees it: status and the JSON error body of the README's "Intake API".
struct IntakeError: HTTPResponseError, Sendable {
    var status: HTTPResponse.Status
    var code: String
    var message: String
    var details: [MappingError.Detail] = []
    var headers: [(String, String)] = []

    static func malformed(_ message: String) -> IntakeError { .init(status: .badRequest, code: "malformed_body", message: message) }
    static let unauthorized = IntakeError(
        status: .unauthorized, code: "unauthorized",
        message: "missing or unknown bearer token (Authorization: Bearer <intake token>)",
        headers: [("WWW-Authenticate", "Bearer")])
    static func notFound(_ message: String) -> IntakeError { .init(status: .notFound, code: "not_found", message: message) }
    static func tooLarge(_ limit: Int) -> IntakeError {
        .init(
            status: .contentTooLarge, code: "body_too_large", message: "request body is larger than server.max_body_bytes (\(limit) bytes)")
    }
    static func unsupported(_ type: String?, allowed: [String]) -> IntakeError {
        .init(
            status: .unsupportedMediaType, code: "unsupported_content_type",
            message: "Content-Type \(type ?? "(none)") is not supported here; use \(allowed.joined(separator: ", "))")
    }
    static func invalid(_ error: MappingError) -> IntakeError {
        .init(
            status: .unprocessableContent, code: "invalid_input",
            message: error.details.map { $0.path.isEmpty ? $0.problem : "\($0.path): \($0.problem)" }.joined(separator: "; "),
            details: error.details)
    }
    static func storage(_ error: any Error) -> IntakeError {
        .init(
            status: .serviceUnavailable, code: "storage_unavailable",
            message: "the job could not be stored durably; nothing was accepted, please retry", headers: [("Retry-After", "5")])
    }

    /// Decodes a body; a malformed one is a 400 saying what is wrong.
    static func decoding(_ data: Data, as kind: BodyDecoder.Kind) throws(IntakeError) -> JSONValue {
        do { return try BodyDecoder.decode(data, as: kind) } catch { throw .malformed(error.message) }
    }

    var body: JSONValue {
        var object: [String: JSONValue] = ["error": .string(code), "message": .string(message)]
        if !details.isEmpty { object["details"] = .array(details.map { ["path": .string($0.path), "problem": .string($0.problem)] }) }
        return .object(object)
    }

    func response(from request: Request, context: some RequestContext) throws -> Response { response }

    var response: Response {
        var response = Response.json(status, body)
        for (name, value) in headers { response.headers[HTTPField.Name(name)!] = value }
        return response
    }
}

extension Response {
    /// A JSON response.
    static func json(_ status: HTTPResponse.Status, _ value: JSONValue) -> Response {
        var data = value.canonicalData
        data.append(0x0A)
        var response = Response(status: status, body: .init(byteBuffer: ByteBuffer(bytes: data)))
        response.headers[.contentType] = "application/json; charset=utf-8"
        return response
    }
}
