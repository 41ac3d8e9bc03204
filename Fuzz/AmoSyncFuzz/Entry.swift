import Foundation

#if FUZZING
    /// libFuzzer's driver, from the runtime `-sanitize=fuzzer` links.
    @_silgen_name("LLVMFuzzerRunDriver")
    func LLVMFuzzerRunDriver(
        _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
        _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
    ) -> CInt

    /// libFuzzer's entry point: one input. (libFuzzer's runtime refers to it by this name.)
    @_cdecl("LLVMFuzzerTestOneInput")
    func fuzzOneInput(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
        FuzzHarness.run(bytes.map { Data(bytes: $0, count: count) } ?? Data())
        return 0
    }

    /// SwiftPM links an executable's `main` to this name (`--defsym`), so libFuzzer's own `main`
    /// is not used: this one hands over to libFuzzer's driver. Both names are needed to link.
    @_cdecl("amosync_fuzz_main")
    func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
        var count = argc
        var arguments = argv
        return LLVMFuzzerRunDriver(&count, &arguments) { bytes, size in fuzzOneInput(bytes, size) }
    }
#else
    /// Without libFuzzer: `amosync-fuzz FILE…` runs each input once (a corpus or a crash file).
    @main struct Replay {
        static func main() throws {
            let paths = CommandLine.arguments.dropFirst()
            if paths.isEmpty {
                print("usage: amosync-fuzz FILE... (runs each input once; Fuzz/run.sh builds the libFuzzer binary)")
            }
            for path in paths {
                FuzzHarness.run(try Data(contentsOf: URL(fileURLWithPath: path)))
            }
            print("\(paths.count) inputs ran without a finding")
        }
    }
#endif
