import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmTrainingKernels, KernelScope } from './dist/index.js';
registerWasmTrainingKernels();
await tf.setBackend('wasm');
const N=8;
const layers=[[56,64,64,3,1],[56,64,256,1,1],[56,256,64,1,1],[56,128,128,3,2],[14,256,256,3,1],[7,512,512,3,1],[112,32,32,3,1]];
let tot={fwd:0,F:0,I:0};
for (const [H,Cin,Cout,k,s] of layers) {
  const x=tf.randomNormal([N,H,H,Cin]), w=tf.randomNormal([k,k,Cin,Cout]);
  const y=tf.conv2d(x,w,s,'same'); const dy=tf.randomNormal(y.shape);
  const fl=2*y.size*Cin*k*k; const parts=[];
  for (const which of ['fwd','F','I']) {
    const f = ()=> which==='fwd'? tf.conv2d(x,w,s,'same'): which==='F' ? tf.engine().runKernel('Conv2DBackpropFilter',{x,dy},{strides:[s,s],pad:'same',dataFormat:'NHWC',filterShape:[k,k,Cin,Cout]}) : tf.engine().runKernel('Conv2DBackpropInput',{dy,filter:w},{strides:[s,s],pad:'same',dataFormat:'NHWC',inputShape:x.shape});
    f().dispose();
    const ts=[]; for(let r=0;r<3;r++){ if(process.env.PROF&&r==2) KernelScope.timings=new Map(); const t=performance.now(); f().dispose(); ts.push(performance.now()-t);} ts.sort((a,b)=>a-b);
    tot[which]+=ts[1];
    parts.push(`${which} ${ts[1].toFixed(0)}ms ${(fl/ts[1]/1e6).toFixed(1)}GF/s`);
    if (KernelScope.timings) parts.push('['+[...KernelScope.timings].map(([k,v])=>`${k}=${v.toFixed(1)}`).join(' ')+']');
    KernelScope.timings=undefined;
  }
  console.log(`${H} ${Cin}->${Cout} k${k}s${s}`, parts.join(' | '));
  tf.dispose([x,w,y,dy]);
}
console.log('totals ms', tot);
